import { Type } from 'typebox';
import type { Flavor } from '../../flavor/flavor-service.js';
import { resourceLinks } from '../links.js';
import { LinksSchema } from '../schemas.js';

export const FlavorSchema = Type.Object({
  id: Type.Union([Type.Integer(), Type.Null()], { description: 'Numeric id, or null when the id is not a number (see str_id)' }),
  links: LinksSchema,
  name: Type.String(),
  ram: Type.Integer({ description: 'MB' }),
  vcpus: Type.Integer(),
  disk: Type.Integer({ description: 'GB' }),
  ephemeral: Type.Integer({ description: 'GB' }),
  str_id: Type.String(),
});

/** Trove's flavor view: numeric ids as numbers (as clients expect), every id as str_id. */
export function flavorView(flavor: Flavor, base: string, projectId: string) {
  const numeric = /^[1-9]\d*$/.test(flavor.id) ? Number(flavor.id) : null;
  return {
    id: numeric,
    links: resourceLinks(base, projectId, 'flavors', flavor.id),
    name: flavor.name,
    ram: flavor.ram,
    vcpus: flavor.vcpus,
    disk: flavor.disk,
    ephemeral: flavor.ephemeral,
    str_id: flavor.id,
  };
}
