/** `express4` is an npm alias of express@4, which has no types of its own: Express's will do. */
declare module 'express4' {
  import express = require('express');
  export = express;
}
