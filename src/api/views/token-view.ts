import { keystoneTime } from '../../common/time.js';
import { DEFAULT_DOMAIN, type TokenInfo } from '../../identity/types.js';

function endpoints(id: string, url: string, region: string) {
  return ['public', 'internal', 'admin'].map((iface) => ({ id: `${id}-${iface}`, interface: iface, region, region_id: region, url }));
}

/**
 * The Keystone v3 token body. A project-scoped token has its project, roles and a catalog
 * naming this server for identity, database and its read-only compute view; an unscoped one,
 * as in Keystone, says who the user is and nothing more.
 */
export function tokenView(context: TokenInfo, base: string, region: string) {
  const common = {
    methods: context.methods,
    user: { id: context.user.id, name: context.user.name, domain: { ...DEFAULT_DOMAIN }, password_expires_at: null },
    audit_ids: context.parentAuditId ? [context.auditId, context.parentAuditId] : [context.auditId],
    expires_at: keystoneTime(context.expiresAt),
    issued_at: keystoneTime(context.issuedAt),
  };
  if (!context.project) return { token: common };
  return {
    token: {
      ...common,
      project: { id: context.project.id, name: context.project.name, domain: { ...DEFAULT_DOMAIN } },
      is_domain: false,
      roles: context.roles.map((r) => ({ id: r.id, name: r.name })),
      catalog: [
        { type: 'identity', name: 'keystone', id: 'identity', endpoints: endpoints('identity', `${base}/v3`, region) },
        { type: 'database', name: 'trove', id: 'database', endpoints: endpoints('database', `${base}/v1.0/${context.project.id}`, region) },
        { type: 'compute', name: 'nova', id: 'compute', endpoints: endpoints('compute', `${base}/compute/v2.1`, region) },
      ],
    },
  };
}
