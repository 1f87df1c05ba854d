// Activity and child-workflow spans from Temporal workflow histories: the real scheduled / started /
// closed times the server recorded, for the main-job profile (bench/main-job/profile.ts).
import type { Client } from '@temporalio/client';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import proto from '@temporalio/proto';

const E = proto.temporal.api.enums.v1.EventType;
type Event = proto.temporal.api.history.v1.IHistoryEvent;

export interface ActivitySpan {
  workflow_id: string;
  /** The node's id for node activities (callNode sets it), else the SDK's sequence number. */
  activity_id: string;
  type: string;
  queue: string;
  scheduled_ms: number;
  /** Start of the attempt that closed it (the server records only the last attempt's start). */
  started_ms: number | null;
  closed_ms: number | null;
  attempt: number;
  status: 'completed' | 'failed' | 'timed_out' | 'canceled' | 'open';
  /** The decoded JSON result of a completed activity. */
  result: unknown;
}

export interface WorkflowSpan {
  workflow_id: string;
  run_id: string;
  type: string;
  start_ms: number;
  close_ms: number | null;
  /** Child workflows it started (workflow id, run id), in order. */
  children: { workflow_id: string; run_id: string }[];
  /** The run it continued as, if any. */
  continued_as: string | null;
  activities: ActivitySpan[];
}

const ms = (e: Event): number => optionalTsToMs(e.eventTime) ?? 0;

function decodeJson(payloads: proto.temporal.api.common.v1.IPayloads | null | undefined): unknown {
  const data = payloads?.payloads?.[0]?.data;
  if (!data) return null;
  try {
    return JSON.parse(Buffer.from(data).toString('utf8'));
  } catch {
    return null;
  }
}

/** Parses one run's history into its activities, children and continue-as-new link. */
export function parseHistory(workflowId: string, runId: string, events: readonly Event[]): WorkflowSpan {
  const first = events[0];
  const started = first?.workflowExecutionStartedEventAttributes;
  const span: WorkflowSpan = {
    workflow_id: workflowId,
    run_id: runId,
    type: started?.workflowType?.name ?? '?',
    start_ms: first ? ms(first) : 0,
    close_ms: null,
    children: [],
    continued_as: null,
    activities: [],
  };
  const bySched = new Map<number, ActivitySpan>();
  for (const e of events) {
    const id = Number(e.eventId);
    switch (e.eventType) {
      case E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: {
        const a = e.activityTaskScheduledEventAttributes;
        const s: ActivitySpan = {
          workflow_id: workflowId,
          activity_id: a?.activityId ?? '',
          type: a?.activityType?.name ?? '?',
          queue: a?.taskQueue?.name ?? '?',
          scheduled_ms: ms(e),
          started_ms: null,
          closed_ms: null,
          attempt: 1,
          status: 'open',
          result: null,
        };
        bySched.set(id, s);
        span.activities.push(s);
        break;
      }
      case E.EVENT_TYPE_ACTIVITY_TASK_STARTED: {
        const a = e.activityTaskStartedEventAttributes;
        const s = bySched.get(Number(a?.scheduledEventId));
        if (s) {
          s.started_ms = ms(e);
          s.attempt = a?.attempt ?? 1;
        }
        break;
      }
      case E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED: {
        const a = e.activityTaskCompletedEventAttributes;
        const s = bySched.get(Number(a?.scheduledEventId));
        if (s) {
          s.closed_ms = ms(e);
          s.status = 'completed';
          s.result = decodeJson(a?.result);
        }
        break;
      }
      case E.EVENT_TYPE_ACTIVITY_TASK_FAILED:
      case E.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
      case E.EVENT_TYPE_ACTIVITY_TASK_CANCELED: {
        const a =
          e.activityTaskFailedEventAttributes ??
          e.activityTaskTimedOutEventAttributes ??
          e.activityTaskCanceledEventAttributes;
        const s = bySched.get(Number(a?.scheduledEventId));
        if (s) {
          s.closed_ms = ms(e);
          s.status =
            e.eventType === E.EVENT_TYPE_ACTIVITY_TASK_FAILED
              ? 'failed'
              : e.eventType === E.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT
                ? 'timed_out'
                : 'canceled';
        }
        break;
      }
      case E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED: {
        const x = e.childWorkflowExecutionStartedEventAttributes?.workflowExecution;
        if (x?.workflowId && x.runId) span.children.push({ workflow_id: x.workflowId, run_id: x.runId });
        break;
      }
      case E.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
        span.continued_as = e.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? null;
        span.close_ms = ms(e);
        break;
      case E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
      case E.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
      case E.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
      case E.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
      case E.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED:
        span.close_ms = ms(e);
        break;
    }
  }
  return span;
}

async function fetchRun(client: Client, workflowId: string, runId?: string): Promise<WorkflowSpan> {
  const handle = client.workflow.getHandle(workflowId, runId);
  const history = await handle.fetchHistory();
  const rid = runId ?? (await handle.describe()).runId;
  return parseHistory(workflowId, rid, history.events ?? []);
}

/**
 * The run's whole tree: every run of the workflow id (continue-as-new chain, oldest first) and, after
 * each, the child workflows it started, depth first.
 */
export async function fetchTree(client: Client, workflowId: string): Promise<WorkflowSpan[]> {
  const runs: { runId: string; start: number }[] = [];
  for await (const w of client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) {
    runs.push({ runId: w.runId, start: w.startTime.getTime() });
  }
  if (runs.length === 0) throw new Error(`no workflow with id ${workflowId} on this Temporal server`);
  runs.sort((a, b) => a.start - b.start);
  const out: WorkflowSpan[] = [];
  const visit = async (id: string, runId: string) => {
    const span = await fetchRun(client, id, runId);
    out.push(span);
    for (const c of span.children) await visit(c.workflow_id, c.run_id);
  };
  for (const r of runs) await visit(workflowId, r.runId);
  return out;
}
