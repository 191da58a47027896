/**
 * Trove's instance status, derived from what the control plane is doing (task status) and
 * what the driver and agent last reported. Pure: no I/O, so every rule is unit-tested.
 */

import type { InstanceTable } from '../state/schema.js';
import { TaskStatus } from '../state/task-status.js';

/** What the agent says of its engine. */
const ServiceStatus = {
  NEW: 'NEW',
  BUILDING: 'BUILDING',
  HEALTHY: 'HEALTHY',
  SHUTDOWN: 'SHUTDOWN',
  CRASHED: 'CRASHED',
  FAILED: 'FAILED',
} as const;
export type ServiceStatus = (typeof ServiceStatus)[keyof typeof ServiceStatus];

/** An agent silent for longer than this is reported as unreachable. */
export const AGENT_SILENCE_MS = 10_000;

export interface ObservedState {
  taskStatus: string;
  serviceStatus: string;
  /** When the agent last answered, if ever. */
  lastContactAt: Date | undefined;
  hasFault: boolean;
  /** A configuration change waits for the engine's next start. */
  restartRequired?: boolean;
}

export interface DerivedStatus {
  status: string;
  operatingStatus: string;
  /** Set when the agent is silent: what the API shows as a transient fault. */
  unreachableSince?: Date;
}

/** Tasks during which the engine may keep serving: the API status they show. */
const STATUS_DURING_TASK: Partial<Record<string, string>> = {
  [TaskStatus.REBOOTING]: 'REBOOT',
  [TaskStatus.RESIZING]: 'RESIZE',
  [TaskStatus.BACKUP]: 'BACKUP',
  [TaskStatus.PROMOTING]: 'PROMOTE',
  [TaskStatus.EJECTING]: 'EJECT',
  [TaskStatus.DETACHING]: 'DETACH',
  [TaskStatus.REBUILDING]: 'REBUILD',
};

export function deriveStatus(state: ObservedState, now: Date): DerivedStatus {
  const during = STATUS_DURING_TASK[state.taskStatus];
  if (during) return { status: during, operatingStatus: state.serviceStatus === ServiceStatus.HEALTHY ? 'HEALTHY' : 'SHUTDOWN' };
  switch (state.taskStatus) {
    case TaskStatus.ERROR:
      return { status: 'ERROR', operatingStatus: state.serviceStatus === ServiceStatus.HEALTHY ? 'HEALTHY' : '' };
    case TaskStatus.BUILDING:
      return { status: state.hasFault ? 'ERROR' : 'BUILD', operatingStatus: '' };
    case TaskStatus.DELETING:
      return { status: 'SHUTDOWN', operatingStatus: '' };
    default:
      break;
  }
  const silentFor = state.lastContactAt ? now.getTime() - state.lastContactAt.getTime() : Number.POSITIVE_INFINITY;
  if (silentFor > AGENT_SILENCE_MS) {
    return { status: 'SHUTDOWN', operatingStatus: 'UNKNOWN', ...(state.lastContactAt ? { unreachableSince: state.lastContactAt } : {}) };
  }
  switch (state.serviceStatus) {
    case ServiceStatus.HEALTHY:
      return { status: state.restartRequired ? 'RESTART_REQUIRED' : 'ACTIVE', operatingStatus: 'HEALTHY' };
    case ServiceStatus.FAILED:
      return { status: 'ERROR', operatingStatus: 'FAILED' };
    case ServiceStatus.NEW:
    case ServiceStatus.BUILDING:
      return { status: 'BUILD', operatingStatus: '' };
    default:
      return { status: 'SHUTDOWN', operatingStatus: 'SHUTDOWN' };
  }
}

/** The derived status of an instance's row: what every view of it shows. */
export function statusOfInstance(instance: Pick<InstanceTable, 'task_status' | 'service_status' | 'last_contact_at' | 'fault_message' | 'restart_required'>, now: Date): DerivedStatus {
  return deriveStatus(
    {
      taskStatus: instance.task_status,
      serviceStatus: instance.service_status,
      lastContactAt: instance.last_contact_at ? new Date(instance.last_contact_at) : undefined,
      hasFault: instance.fault_message !== null,
      restartRequired: instance.restart_required === 1,
    },
    now,
  );
}
