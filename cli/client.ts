// A Temporal client for CLI commands, with one clear message when the stack is not up.
import { Client, Connection } from '@temporalio/client';
import { temporalAddress } from '../infra/paths';

export async function withClient<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const address = temporalAddress();
  let connection: Connection;
  try {
    connection = await Connection.connect({ address, connectTimeout: 3000 });
  } catch {
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
