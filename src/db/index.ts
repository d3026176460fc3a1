export { openDatabase, dialectOf, type Dialect, type MetadataDb } from './connect.js';
export type { Database } from './schema.js';
export { PreparedQuery } from './prepared.js';
export type { Executor } from './executor.js';
