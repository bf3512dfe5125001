/** The differential tests' Express app on Express 5, under /express5. */
import express from 'express';
import { buildExpressApp } from './express-app.js';

export default buildExpressApp(express, '/express5');
