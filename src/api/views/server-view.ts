import { createHash } from 'node:crypto';
import { Type } from 'typebox';
import { statusOfInstance } from '../../instance/status.js';
import { TaskStatus } from '../../state/task-status.js';
import type { InstanceTable } from '../../state/schema.js';
import type { Link } from '../links.js';
import { LinksSchema } from '../schemas.js';

/**
 * Nova's server, as the compute view (`/compute/v2.1`) shows an instance: the shape of Nova's
 * v2.1 API without microversions, which is what tempest validates when it sends no
 * X-OpenStack-Nova-API-Version. Nova's schema refuses fields it does not list, so nothing
 * of Trove's own is added here.
 */

const NullableString = Type.Union([Type.String(), Type.Null()]);
const RefSchema = Type.Object({ id: Type.String(), links: LinksSchema });

export const ServerSummarySchema = Type.Object({ id: Type.String(), name: Type.String(), links: LinksSchema });

export const ServerSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  status: Type.String({ description: "Nova's status: BUILD, ACTIVE, REBOOT, RESIZE, SHUTOFF, ERROR" }),
  tenant_id: Type.String(),
  user_id: Type.String({ description: 'empty: instances do not record the user who created them' }),
  metadata: Type.Object({}),
  hostId: Type.String(),
  image: Type.Union([RefSchema, Type.String()], { description: "the datastore version's image, or an empty string when it names none" }),
  flavor: RefSchema,
  created: Type.String(),
  updated: Type.String(),
  addresses: Type.Record(Type.String(), Type.Array(Type.Object({ addr: Type.String(), version: Type.Integer(), 'OS-EXT-IPS:type': Type.String() }))),
  accessIPv4: Type.String(),
  accessIPv6: Type.String(),
  links: LinksSchema,
  key_name: NullableString,
  progress: Type.Optional(Type.Integer()),
  fault: Type.Optional(Type.Object({ code: Type.Integer(), created: Type.String(), message: Type.String(), details: Type.String() })),
  config_drive: Type.String(),
  'OS-DCF:diskConfig': Type.String(),
  'OS-EXT-AZ:availability_zone': Type.String(),
  'OS-EXT-STS:vm_state': Type.String(),
  'OS-EXT-STS:task_state': NullableString,
  'OS-EXT-STS:power_state': Type.Integer(),
  'OS-SRV-USG:launched_at': NullableString,
  'OS-SRV-USG:terminated_at': NullableString,
  'os-extended-volumes:volumes_attached': Type.Array(Type.Object({ id: Type.String() })),
  'OS-EXT-SRV-ATTR:host': Type.Optional(NullableString),
  'OS-EXT-SRV-ATTR:instance_name': Type.Optional(Type.String()),
  'OS-EXT-SRV-ATTR:hypervisor_hostname': Type.Optional(NullableString),
});

/** Nova's power states (nova/compute/power_state.py). */
const POWER = { NOSTATE: 0, RUNNING: 1, SHUTDOWN: 4 } as const;

export interface NovaState {
  status: string;
  vmState: string;
  taskState: string | null;
  powerState: number;
}

/**
 * What Nova would say of the server under an instance with this Trove status. Trove's
 * engine-level states (RESTART_REQUIRED, BACKUP, and the replication ones) leave the server
 * running, so they are ACTIVE; a restart and a resize are Nova's REBOOT and RESIZE.
 */
export function novaState(instance: InstanceTable, now: Date): NovaState {
  const derived = statusOfInstance(instance, now);
  const running = (status: string, taskState: string | null = null): NovaState => ({ status, vmState: 'active', taskState, powerState: POWER.RUNNING });
  switch (derived.status) {
    case 'BUILD':
      return { status: 'BUILD', vmState: 'building', taskState: 'spawning', powerState: POWER.NOSTATE };
    case 'ACTIVE':
    case 'RESTART_REQUIRED':
    case 'BACKUP':
    case 'PROMOTE':
    case 'EJECT':
    case 'DETACH':
      return running('ACTIVE');
    case 'REBOOT':
      return running('REBOOT', 'rebooting');
    case 'RESIZE':
      return running('RESIZE', 'resize_migrating');
    case 'ERROR':
      return { status: 'ERROR', vmState: 'error', taskState: null, powerState: derived.operatingStatus === 'HEALTHY' ? POWER.RUNNING : POWER.NOSTATE };
    case 'SHUTDOWN':
      // Nova keeps a server being deleted ACTIVE with task_state "deleting" until it is gone.
      if (instance.task_status === TaskStatus.DELETING) return running('ACTIVE', 'deleting');
      return { status: 'SHUTOFF', vmState: 'stopped', taskState: null, powerState: derived.operatingStatus === 'UNKNOWN' ? POWER.NOSTATE : POWER.SHUTDOWN };
    default:
      return { status: 'UNKNOWN', vmState: 'active', taskState: null, powerState: POWER.NOSTATE };
  }
}

/** Nova's timestamps: to the second with a Z (2012-08-20T21:11:09Z). */
function novaTime(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/** Nova's launched_at/terminated_at: microseconds, no zone (2013-09-23T13:53:12.000000). */
function usageTime(date: Date): string {
  return `${date.toISOString().slice(0, 23)}000`;
}

/** Nova's hostId: SHA-224 of the project and the host, so a project can tell its servers apart by host without learning its name. */
function hostId(projectId: string, host: string): string {
  return createHash('sha224')
    .update(projectId + host)
    .digest('hex');
}

/** Where the compute view is, and what it needs beyond the instance row. */
export interface ServerViewContext {
  /** The compute endpoint, e.g. http://127.0.0.1:8779/compute/v2.1 */
  endpoint: string;
  /** The host the instances run on. */
  host: string;
  /** Whether the caller sees Nova's admin-only attributes. */
  isAdmin: boolean;
  /** The datastore version's image, '' when it names none. */
  imageOf: (instance: InstanceTable) => string;
  now?: Date;
}

/** Nova's links: self under the versioned endpoint, bookmark under the unversioned one. */
function novaLinks(endpoint: string, collection: string, id: string, withSelf: boolean): Link[] {
  const unversioned = endpoint.replace(/\/v\d+(\.\d+)?$/, '');
  const path = `${collection}/${encodeURIComponent(id)}`;
  return [...(withSelf ? [{ rel: 'self', href: `${endpoint}/${path}` }] : []), { rel: 'bookmark', href: `${unversioned}/${path}` }];
}

/** `GET /servers`: id, name and links only. */
export function serverSummaryView(instance: InstanceTable, endpoint: string) {
  return { id: instance.id, name: instance.name, links: novaLinks(endpoint, 'servers', instance.id, true) };
}

/** `GET /servers/detail` and `GET /servers/{id}`. */
export function serverView(instance: InstanceTable, context: ServerViewContext) {
  const { endpoint, host, isAdmin, imageOf, now = new Date() } = context;
  const state = novaState(instance, now);
  const image = imageOf(instance);
  const progressShown = ['ACTIVE', 'BUILD', 'RESIZE'].includes(state.status);
  const fault = state.status === 'ERROR' && instance.fault_message !== null ? { code: 500, created: novaTime(new Date(instance.fault_created ?? instance.updated_at)), message: instance.fault_message, details: instance.fault_details ?? '' } : undefined;
  return {
    id: instance.id,
    name: instance.name,
    status: state.status,
    tenant_id: instance.project_id,
    user_id: '',
    metadata: {},
    hostId: hostId(instance.project_id, host),
    image: image ? { id: image, links: novaLinks(endpoint, 'images', image, false) } : '',
    flavor: { id: instance.flavor_id, links: novaLinks(endpoint, 'flavors', instance.flavor_id, false) },
    created: novaTime(new Date(instance.created_at)),
    updated: novaTime(new Date(instance.updated_at)),
    addresses: instance.address ? { local: [{ addr: instance.address, version: instance.address.includes(':') ? 6 : 4, 'OS-EXT-IPS:type': 'fixed' }] } : {},
    accessIPv4: '',
    accessIPv6: '',
    links: novaLinks(endpoint, 'servers', instance.id, true),
    key_name: null,
    ...(progressShown ? { progress: 0 } : {}),
    ...(fault ? { fault } : {}),
    config_drive: '',
    'OS-DCF:diskConfig': 'MANUAL',
    'OS-EXT-AZ:availability_zone': 'nova',
    'OS-EXT-STS:vm_state': state.vmState,
    'OS-EXT-STS:task_state': state.taskState,
    'OS-EXT-STS:power_state': state.powerState,
    'OS-SRV-USG:launched_at': state.status === 'BUILD' ? null : usageTime(new Date(instance.created_at)),
    'OS-SRV-USG:terminated_at': null,
    'os-extended-volumes:volumes_attached': [],
    ...(isAdmin ? { 'OS-EXT-SRV-ATTR:host': host, 'OS-EXT-SRV-ATTR:instance_name': `instance-${instance.id}`, 'OS-EXT-SRV-ATTR:hypervisor_hostname': host } : {}),
  };
}
