import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';

/** A database handle or an open transaction: every store function takes either. */
export type Executor = Kysely<Database> | Transaction<Database>;
