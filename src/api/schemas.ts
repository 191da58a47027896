import { Type } from 'typebox';

/** Wire shapes shared by several routes; they drive validation, serialization and the OpenAPI document. */
export const LinkSchema = Type.Object({ rel: Type.String(), href: Type.String() });
export const LinksSchema = Type.Array(LinkSchema);

export const FaultSchema = Type.Record(Type.String(), Type.Object({ code: Type.Integer(), message: Type.String() }), {
  description: 'Trove fault: one key naming the fault kind (badRequest, itemNotFound, …)',
});

/** Fault responses every authenticated route can give. */
export const COMMON_FAULTS = {
  400: FaultSchema,
  401: FaultSchema,
  403: FaultSchema,
  404: FaultSchema,
  413: FaultSchema,
};

export const ProjectParams = Type.Object({ tenant_id: Type.String({ description: 'The project id (must be the token\'s project unless the caller is an admin)' }) });

/** `limit` and `marker` as Trove takes them; limit arrives as text in the query string. */
export const PageQuery = Type.Object({
  limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,6}$', description: 'a whole number: the most items to return' })),
  marker: Type.Optional(Type.String({ description: 'Id of the last item of the previous page' })),
});

/** 202 with an empty body: the work goes on in the background. */
export const ACCEPTED = { 202: Type.Unknown({ description: 'Accepted (empty body): the work goes on in the background' }) };
