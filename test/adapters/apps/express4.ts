/** The differential tests' Express app on Express 4 (the `express4` npm alias), under /express4. */
import express from 'express4';
import { buildExpressApp } from './express-app.js';

export default buildExpressApp(express, '/express4');
