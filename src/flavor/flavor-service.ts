import { BadRequest, Conflict, NotFound } from '../common/errors.js';
import { isUniqueViolation, type Store } from '../state/database.js';
import type { FlavorTable } from '../state/schema.js';

export type Flavor = Omit<FlavorTable, 'created_at'>;

export interface NewFlavor {
  id?: string;
  name: string;
  ram: number;
  vcpus: number;
  disk?: number;
  ephemeral?: number;
}

/** Natural order for flavor ids: numeric ids by value, then the rest by text. */
function byId(a: Flavor, b: Flavor): number {
  const na = /^\d+$/.test(a.id) ? Number(a.id) : Number.NaN;
  const nb = /^\d+$/.test(b.id) ? Number(b.id) : Number.NaN;
  if (!Number.isNaN(na) && !Number.isNaN(nb)) return na - nb;
  if (!Number.isNaN(na)) return -1;
  if (!Number.isNaN(nb)) return 1;
  return a.id.localeCompare(b.id);
}

/** Flavors: the sizes (RAM, vCPUs) an instance can have. Admins manage them offline. */
export class FlavorService {
  constructor(private readonly db: Store) {}

  async list(): Promise<Flavor[]> {
    const rows = await this.db.selectFrom('flavors').select(['id', 'name', 'ram', 'vcpus', 'disk', 'ephemeral']).execute();
    return rows.sort(byId);
  }

  async find(id: string): Promise<Flavor | undefined> {
    return this.db.selectFrom('flavors').select(['id', 'name', 'ram', 'vcpus', 'disk', 'ephemeral']).where('id', '=', id).executeTakeFirst();
  }

  async get(id: string): Promise<Flavor> {
    const flavor = await this.find(id);
    if (!flavor) throw new NotFound(`Flavor '${id}' cannot be found.`);
    return flavor;
  }

  async create(input: NewFlavor): Promise<Flavor> {
    const problems: string[] = [];
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(input.name)) problems.push('name must be 1 to 64 letters, digits, "_", "." or "-"');
    if (input.id !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(input.id)) problems.push('id must be 1 to 64 letters, digits, "_", "." or "-"');
    if (!Number.isInteger(input.ram) || input.ram < 128) problems.push('ram must be a whole number of MB, at least 128');
    if (!Number.isInteger(input.vcpus) || input.vcpus < 1 || input.vcpus > 256) problems.push('vcpus must be a whole number from 1 to 256');
    for (const key of ['disk', 'ephemeral'] as const) {
      const value = input[key] ?? 0;
      if (!Number.isInteger(value) || value < 0) problems.push(`${key} must be a whole number of GB, 0 or more`);
    }
    if (problems.length > 0) throw new BadRequest(`Invalid flavor: ${problems.join('; ')}.`);
    const id = input.id ?? (await this.nextNumericId());
    const flavor: Flavor = { id, name: input.name, ram: input.ram, vcpus: input.vcpus, disk: input.disk ?? 0, ephemeral: input.ephemeral ?? 0 };
    try {
      await this.db
        .insertInto('flavors')
        .values({ ...flavor, created_at: new Date().toISOString() })
        .execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new Conflict(`A flavor with id '${id}' or name '${input.name}' already exists.`);
      throw err;
    }
    return flavor;
  }

  async delete(id: string): Promise<void> {
    const result = await this.db.deleteFrom('flavors').where('id', '=', id).executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) throw new NotFound(`Flavor '${id}' cannot be found.`);
  }

  private async nextNumericId(): Promise<string> {
    const numeric = (await this.list())
      .map((f) => f.id)
      .filter((id) => /^\d+$/.test(id))
      .map(Number);
    return String(Math.max(0, ...numeric) + 1);
  }
}
