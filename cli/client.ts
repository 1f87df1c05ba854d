// A Temporal client for CLI commands, with one clear message when the stack is not up.
import { Client, Connection } from '@temporalio/client';
import { checkTemporalServer, TemporalServerError } from '../infra/cluster/server-check';
import { temporalAddress } from '../infra/paths';

export async function withClient<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const address = temporalAddress();
  let connection: Connection;
  try {
    // Nothing there, not Temporal, or too old: each its own message naming the address.
    await checkTemporalServer(address, 3000);
    connection = await Connection.connect({ address, connectTimeout: 3000 });
  } catch (err) {
    if (err instanceof TemporalServerError && err.kind !== 'unreachable') throw err;
    throw new Error(
      `cannot reach the Temporal server at ${address}: start the stack with \`autocode up --detach\``,
    );
  }
  try {
    return await fn(new Client({ connection }));
  } finally {
    await connection.close();
  }
}
