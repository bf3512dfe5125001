export { fromFetch, type FetchEnv, type FetchHandler } from './from-fetch.js';
export { fromNode, type NodeHandler } from './from-node.js';
