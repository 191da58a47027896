import { Type } from 'typebox';
import type { ParameterRule } from '../../catalog/parameter-rules.js';

export const ParameterSchema = Type.Object(
  {
    name: Type.String(),
    datastore_version_id: Type.String(),
    restart_required: Type.Boolean(),
    type: Type.String(),
    min: Type.Optional(Type.Number()),
    max: Type.Optional(Type.Number()),
    allowed_values: Type.Optional(Type.Array(Type.String())),
    unit: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

/** Trove's shape for a configuration parameter, plus the allowed values and unit where there are. */
export function parameterView(rule: ParameterRule, versionId: string) {
  return {
    name: rule.name,
    datastore_version_id: versionId,
    restart_required: rule.restart_required,
    type: rule.type,
    ...(rule.min !== undefined ? { min: rule.min } : {}),
    ...(rule.max !== undefined ? { max: rule.max } : {}),
    ...(rule.allowed ? { allowed_values: rule.allowed } : {}),
    ...(rule.unit ? { unit: rule.unit } : {}),
  };
}
