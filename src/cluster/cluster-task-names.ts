import type { ClusterTask } from '../state/schema.js';

/** Trove's ClusterTasks: the id, name and description each task is shown with. */
export const CLUSTER_TASKS: Record<ClusterTask, { id: number; name: string; description: string }> = {
  NONE: { id: 1, name: 'NONE', description: 'No tasks for the cluster.' },
  BUILDING_INITIAL: { id: 2, name: 'BUILDING', description: 'Building the initial cluster.' },
  DELETING: { id: 3, name: 'DELETING', description: 'Deleting the cluster.' },
  GROWING_CLUSTER: { id: 5, name: 'GROWING_CLUSTER', description: 'Increasing the size of the cluster.' },
  SHRINKING_CLUSTER: { id: 6, name: 'SHRINKING_CLUSTER', description: 'Decreasing the size of the cluster.' },
  RESTARTING_CLUSTER: { id: 8, name: 'RESTARTING_CLUSTER', description: 'Restarting the cluster.' },
  UPDATING_CLUSTER: { id: 9, name: 'UPDATING_CLUSTER', description: 'Updating cluster configuration.' },
};

/** The name a task is shown with ("BUILDING" for BUILDING_INITIAL). */
export const taskName = (task: ClusterTask): string => CLUSTER_TASKS[task].name;
