/**
 * The instance's task status column: what the control plane is doing to it. It lives with the
 * schema so that every write of the column is checked against these names.
 */
/** What the control plane is doing to an instance. */
export const TaskStatus = {
  NONE: 'NONE',
  BUILDING: 'BUILDING',
  DELETING: 'DELETING',
  REBOOTING: 'REBOOTING',
  RESIZING: 'RESIZING',
  /** A backup is being taken; the engine keeps serving. */
  BACKUP: 'BACKUP',
  /** Replication set changes: the whole set shows them. */
  PROMOTING: 'PROMOTING',
  EJECTING: 'EJECTING',
  DETACHING: 'DETACHING',
  /** A new guest is being built on the instance's volume. */
  REBUILDING: 'REBUILDING',
  /** Who may reach the instance is changing; it serves throughout, so its status is what is observed. */
  UPDATING: 'UPDATING',
  /** A task failed; the instance keeps its fault until reset or deleted. */
  ERROR: 'ERROR',
} as const;
export type TaskStatus = (typeof TaskStatus)[keyof typeof TaskStatus];
