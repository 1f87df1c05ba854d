// The PostgreSQL-backed cluster end to end, from a fresh var dir: up (twice = one cluster), the Web UI
// on it, a real workflow on the real workers of both kinds, a server killed mid-workflow and brought
// back (the workflow finishes: its state was in PostgreSQL), status, down, and up again with the data.
import type { ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClusterInfo, clusterStatus, startCluster, stopCluster } from '../../infra/cluster/cluster';
import { isPortFree } from '../../infra/ports';
import { namespaceRetentionHours } from '../../infra/temporal-server';
import { NAMESPACE, SEARCH_ATTRIBUTES, TASK_QUEUES } from '../../schemas/queues';
import { SmokeResult } from '../../schemas/smoke';
import { smoke } from '../../workflows/smoke';
import { spawnGpuWorker, startCpuWorker, stopProcess } from '../helpers/stack';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the PostgreSQL-backed Temporal cluster', { timeout: 240_000 }, () => {
  const varDir = mkdtempSync(join(tmpdir(), 'autocode-cluster-'));
  chmodSync(varDir, 0o755); // PostgreSQL runs as its own OS user and must reach its data dir
  const o = { ip: '127.0.0.1', frontendPort: 17200, pgPort: 17210, uiPort: 17211, varDir };
  let info: ClusterInfo;
  let connection: Connection;
  let client: Client;
  let cpu: Awaited<ReturnType<typeof startCpuWorker>> | undefined;
  let gpu: ChildProcess | undefined;
  const pids = async () => Object.fromEntries((await clusterStatus(o)).processes.map((p) => [p.name, p.pid]));

  beforeAll(async () => {
    const t0 = Date.now();
    info = await startCluster(o);
    console.log(`cluster up from a fresh var dir in ${Date.now() - t0} ms`);
    connection = await Connection.connect({ address: info.address });
    client = new Client({ connection });
  });
  afterAll(async () => {
    if (gpu) await stopProcess(gpu);
    await cpu?.stop();
    await connection?.close();
    await stopCluster(o);
    rmSync(varDir, { recursive: true, force: true });
  });

  it('status names each process with its pid, address and health', async () => {
    expect(info).toEqual({
      address: '127.0.0.1:17200',
      uiUrl: 'http://127.0.0.1:17211',
      pgAddress: '127.0.0.1:17210',
    });
    const s = await clusterStatus(o);
    expect(s.running).toBe(true);
    expect(s.processes.map((p) => [p.name, p.address])).toEqual([
      ['postgres', '127.0.0.1:17210'],
      ['temporal', '127.0.0.1:17200'],
      ['ui', 'http://127.0.0.1:17211'],
    ]);
    for (const p of s.processes) expect(p.pid, p.name).toBeGreaterThan(0);
    expect(s.processes[0]?.health).toMatch(/^serving \(PostgreSQL 1[5-9]\./);
    expect(s.processes[1]?.health).toBe('serving (Temporal 1.30.4)');
    expect(s.processes[2]?.health).toBe('serving');
  });

  it('up again is the same cluster: same pids, same address', async () => {
    const before = await pids();
    expect(await startCluster(o)).toEqual(info);
    expect(await pids()).toEqual(before);
  });

  it('the default namespace keeps 30 days and has the search attributes', async () => {
    expect(await namespaceRetentionHours(info.address)).toBe(720);
    const res = await connection.operatorService.listSearchAttributes({ namespace: NAMESPACE });
    for (const sa of Object.values(SEARCH_ATTRIBUTES))
      expect(Object.keys(res.customAttributes ?? {})).toContain(sa.name);
  });

  it('runs the smoke workflow on the real workers of both kinds; the Web UI lists it', async () => {
    cpu = await startCpuWorker(info.address);
    gpu = spawnGpuWorker(info.address, 'cluster-smoke');
    const workflowId = `cluster-smoke-${Date.now()}`;
    const result = SmokeResult.parse(
      await client.workflow.execute(smoke, {
        taskQueue: TASK_QUEUES.cpu,
        workflowId,
        args: [{ message: 'pg' }],
      }),
    );
    expect(result.cpu.worker).toBe('typescript');
    expect(result.gpu.worker).toBe('python');
    expect(result.gpu.pid).toBe(gpu.pid);
    // The UI server reads through the cluster's frontend (visibility on PostgreSQL).
    let listed: string[] = [];
    for (let i = 0; i < 40 && !listed.includes(workflowId); i++) {
      const res = await fetch(`${info.uiUrl}/api/v1/namespaces/${NAMESPACE}/workflows`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { executions?: { execution: { workflowId: string } }[] };
      listed = (body.executions ?? []).map((e) => e.execution.workflowId);
      if (!listed.includes(workflowId)) await sleep(250);
    }
    expect(listed).toContain(workflowId);
  });

  it('a workflow running when the server is killed -9 completes once it is back', async () => {
    const handle = await client.workflow.start(smoke, {
      taskQueue: TASK_QUEUES.cpu,
      workflowId: `cluster-restart-${Date.now()}`,
      args: [{ message: 'survives', gpu_work_seconds: 6 }],
    });
    // Wait until the gpu activity runs: from here the workflow's state is only in PostgreSQL.
    for (let i = 0; i < 120; i++) {
      const d = await handle.describe();
      if (
        (d.raw.pendingActivities ?? []).some((a) => a.activityType?.name === 'gpu_echo' && a.lastStartedTime)
      )
        break;
      await sleep(250);
    }
    const before = await pids();
    process.kill(before.temporal as number, 'SIGKILL');
    while ((await clusterStatus(o)).processes[1]?.pid) await sleep(100);
    expect((await clusterStatus(o)).running).toBe(false);
    const t0 = Date.now();
    await startCluster(o); // starts only what is down: the server
    console.log(`server back after kill -9 in ${Date.now() - t0} ms`);
    const after = await pids();
    expect(after.postgres).toBe(before.postgres);
    expect(after.ui).toBe(before.ui);
    expect(after.temporal).not.toBe(before.temporal);
    const result = SmokeResult.parse(await handle.result());
    expect(result.gpu.message).toBe('survives');
    expect(result.gpu.pid).toBe(gpu?.pid);
    expect(result.cpu.pid).toBe(process.pid); // the in-process cpu worker reconnected by itself
  });

  it('down stops every process and frees the ports; up again finds the history in PostgreSQL', async () => {
    const done = await client.workflow.list({ query: `WorkflowType = 'smoke'` });
    const ids: string[] = [];
    for await (const w of done) ids.push(w.workflowId);
    expect(ids.length).toBe(2);
    if (gpu) await stopProcess(gpu);
    await cpu?.stop();
    cpu = undefined;
    await connection.close();
    await stopCluster(o);
    await stopCluster(o); // idempotent
    const s = await clusterStatus(o);
    expect(s.running).toBe(false);
    expect(s.processes.map((p) => p.pid)).toEqual([null, null, null]);
    for (const port of [17200, 17210, 17211])
      expect(await isPortFree(port, '127.0.0.1'), String(port)).toBe(true);

    await startCluster(o);
    connection = await Connection.connect({ address: info.address });
    client = new Client({ connection });
    for (const id of ids)
      expect((await client.workflow.getHandle(id).describe()).status.name).toBe('COMPLETED');
  });
});
