/**
 * What the fuzz cases name in paths: the owner's real resources (so lookups succeed and the
 * service is reached) or ones that do not exist, of the same form.
 */
export interface Fixture {
  ownerProject: string;
  otherProject: string;
  /** The project whose quotas the quota routes may change: no one works in it. */
  spareProject: string;
  instanceId: string;
  instanceName: string;
  backupId: string;
  configurationId: string;
  flavorId: string;
  datastore: string;
  version: string;
  versionId: string;
  parameter: string;
  database: string;
  user: string;
  /** The instance's guest logs (general, slow_query…). */
  logNames: string[];
  /** A cluster id: none is built on the fuzz host (its members are three more engines), so it names none. */
  clusterId: string;
}

export type ResourceKind = 'instance' | 'cluster' | 'backup' | 'configuration' | 'flavor' | 'datastore' | 'version' | 'versionId' | 'parameter' | 'database' | 'user' | 'quotaProject' | 'tenant';

/** Ids of the owner's own resources: what the other project's member must never see. */
export const OWNED_KINDS: ResourceKind[] = ['instance', 'backup', 'configuration', 'database', 'user'];

/** Well formed, and not a resource of this host. */
const MISSING_UUID = '0f0f0f0f-0000-4000-8000-00000000f022';

export function missingValue(kind: ResourceKind): string {
  switch (kind) {
    case 'flavor':
      return '999999';
    case 'datastore':
      return 'nosuchstore';
    case 'version':
      return 'nosuchversion';
    case 'parameter':
      return 'no_such_parameter';
    case 'database':
      return 'fznosuchdb';
    case 'user':
      return 'fznosuchuser';
    case 'quotaProject':
    case 'tenant':
      return MISSING_UUID.replace(/-/g, '');
    default:
      return MISSING_UUID;
  }
}

export function realValue(kind: ResourceKind, fixture: Fixture): string {
  const values: Record<ResourceKind, string> = {
    instance: fixture.instanceId,
    cluster: fixture.clusterId,
    backup: fixture.backupId,
    configuration: fixture.configurationId,
    flavor: fixture.flavorId,
    datastore: fixture.datastore,
    version: fixture.version,
    versionId: fixture.versionId,
    parameter: fixture.parameter,
    database: fixture.database,
    user: fixture.user,
    quotaProject: fixture.spareProject,
    tenant: fixture.ownerProject,
  };
  return values[kind];
}

/** What a path parameter names, read from the segment before it. */
export function kindOfParam(template: string, param: string): ResourceKind {
  const segments = template.split('/');
  const at = segments.indexOf(`{${param}}`);
  const before = segments[at - 1];
  if (param === 'tenant_id') return 'tenant';
  switch (before) {
    case 'instances':
    case 'servers':
      return 'instance';
    case 'clusters':
      return 'cluster';
    case 'backups':
      return 'backup';
    case 'configurations':
      return 'configuration';
    case 'flavors':
      return 'flavor';
    case 'datastores':
      return 'datastore';
    case 'versions':
      return segments[at - 2] === 'datastores' ? 'versionId' : 'version';
    case 'parameters':
      return 'parameter';
    case 'databases':
      return 'database';
    case 'users':
      return 'user';
    case 'quotas':
      return 'quotaProject';
    default:
      throw new Error(`${template}: no fixture for path parameter '${param}'`);
  }
}

/** Path ids a careless or hostile client sends; none may reach a 2xx. */
export const MALFORMED_IDS = ['..%2F..%2Fetc%2Fpasswd', "1'%20OR%20'1'%3D'1", 'x'.repeat(300), 'fz%00id', '%zz', '%E2%80%AE%F0%9F%92%A9', '-1', 'null', '0f0f0f0f-0000-4000-8000-00000000f022%20'];
