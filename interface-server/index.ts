export { InterfaceServer } from './server.js';
export { serverOptions, type ServerOptions, type ServerOptionsInput } from './options.js';
