import type { Transaction } from 'kysely';
import { BadRequest, OverLimit } from '../common/errors.js';
import type { QuotaSettings } from '../settings/schema.js';
import type { Store } from '../state/database.js';
import type { Database } from '../state/schema.js';

/** The resources Trove counts per project: instances, RAM (MB), volume GB and backups. */
export const QUOTA_RESOURCES = ['instances', 'ram', 'volumes', 'backups'] as const;
export type QuotaResource = (typeof QUOTA_RESOURCES)[number];

export interface QuotaUsage {
  resource: QuotaResource;
  in_use: number;
  reserved: number;
  limit: number;
}

/** The largest limit kept exactly: Trove's hard_limit is a signed 32-bit column. */
const QUOTA_MAX = 2 ** 31 - 1;

type Executor = Store | Transaction<Database>;

function isResource(name: string): name is QuotaResource {
  return (QUOTA_RESOURCES as readonly string[]).includes(name);
}

/** Per-project limits (defaults from settings, overrides in the store) and their usage. */
export class QuotaService {
  constructor(
    private readonly db: Store,
    private readonly defaults: QuotaSettings,
  ) {}

  async limits(projectId: string, executor: Executor = this.db): Promise<Record<QuotaResource, number>> {
    const limits: Record<QuotaResource, number> = { ...this.defaults };
    const rows = await executor.selectFrom('quotas').select(['resource', 'hard_limit']).where('project_id', '=', projectId).execute();
    for (const row of rows) if (isResource(row.resource)) limits[row.resource] = Number(row.hard_limit);
    return limits;
  }

  async usage(projectId: string): Promise<QuotaUsage[]> {
    const limits = await this.limits(projectId);
    const rows = await this.db.selectFrom('quota_usages').selectAll().where('project_id', '=', projectId).execute();
    return QUOTA_RESOURCES.map((resource) => {
      const row = rows.find((r) => r.resource === resource);
      return { resource, in_use: Number(row?.in_use ?? 0), reserved: Number(row?.reserved ?? 0), limit: limits[resource] };
    });
  }

  /**
   * Sets hard limits. The whole request is checked before anything is written, so a bad
   * entry leaves every limit as it was. A resource left out keeps its limit; null is refused
   * rather than taken as "no change", which a caller could mistake for "no limit".
   */
  async update(projectId: string, requested: Record<string, unknown>): Promise<Record<string, number>> {
    const changes: Array<[QuotaResource, number]> = [];
    if (Object.keys(requested).length === 0) throw new BadRequest(`Give at least one quota to set: ${QUOTA_RESOURCES.join(', ')}.`);
    for (const [resource, value] of Object.entries(requested)) {
      if (!isResource(resource)) throw new BadRequest(`Quota resource '${resource}' is unknown; known resources are ${QUOTA_RESOURCES.join(', ')}.`);
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < -1 || value > QUOTA_MAX) {
        throw new BadRequest(`Quota limit for '${resource}' must be a whole number from -1 (unlimited) to ${QUOTA_MAX}${typeof value === 'number' ? '' : `, not ${value === null ? 'null' : `a ${typeof value}`}`}.`);
      }
      changes.push([resource, value]);
    }
    await this.db.transaction().execute(async (trx) => {
      for (const [resource, hard_limit] of changes) {
        await trx
          .insertInto('quotas')
          .values({ project_id: projectId, resource, hard_limit })
          .onConflict((oc) => oc.columns(['project_id', 'resource']).doUpdateSet({ hard_limit }))
          .execute();
      }
    });
    return Object.fromEntries(changes);
  }

  /**
   * Counts resources as used, refusing with 413 when any would pass its limit. Run it in the
   * same transaction that creates the resources so that a refusal writes nothing.
   */
  async charge(trx: Transaction<Database>, projectId: string, deltas: Partial<Record<QuotaResource, number>>): Promise<void> {
    const limits = await this.limits(projectId, trx);
    for (const [resource, delta] of Object.entries(deltas) as Array<[QuotaResource, number]>) {
      if (!delta) continue;
      const row = await trx.selectFrom('quota_usages').selectAll().where('project_id', '=', projectId).where('resource', '=', resource).executeTakeFirst();
      const inUse = Number(row?.in_use ?? 0);
      const limit = limits[resource];
      if (delta > 0 && limit >= 0 && inUse + Number(row?.reserved ?? 0) + delta > limit) {
        throw new OverLimit(`Quota exceeded for resources: ['${resource}']. ${resource}: limit ${limit}, in use ${inUse}, requested ${delta}.`);
      }
      const in_use = Math.max(0, inUse + delta);
      await trx
        .insertInto('quota_usages')
        .values({ project_id: projectId, resource, in_use, reserved: 0 })
        .onConflict((oc) => oc.columns(['project_id', 'resource']).doUpdateSet({ in_use }))
        .execute();
    }
  }
}
