import type { Compilable, CompiledQuery } from 'kysely';
import type { Executor } from './executor.js';

/**
 * A query compiled once per database handle and run with fresh parameter values (in the order the
 * builder used them). For the hot reads — a manifest by tag, a blob's size — where building and
 * compiling the query would cost more than running it.
 */
export class PreparedQuery<Row> {
  private readonly compiled = new WeakMap<Executor, CompiledQuery<Row>>();

  constructor(private readonly build: (db: Executor) => Compilable<Row>) {}

  async execute(db: Executor, parameters: readonly unknown[]): Promise<Row[]> {
    let query = this.compiled.get(db);
    if (!query) {
      query = this.build(db).compile();
      this.compiled.set(db, query);
    }
    if (query.parameters.length !== parameters.length) {
      throw new Error(
        `prepared query expects ${query.parameters.length} parameters, got ${parameters.length}`,
      );
    }
    return (await db.executeQuery<Row>({ ...query, parameters })).rows;
  }

  async first(db: Executor, parameters: readonly unknown[]): Promise<Row | undefined> {
    return (await this.execute(db, parameters))[0];
  }
}
