import { Type } from 'typebox';

/** Wire shapes shared by several routes; they drive validation, serialization and the OpenAPI document. */
const LinkSchema = Type.Object({ rel: Type.String(), href: Type.String() });
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

export const ProjectParams = Type.Object({ tenant_id: Type.String({ description: "The project id (must be the token's project unless the caller is an admin)" }) });

/** `limit` and `marker` as Trove takes them; limit arrives as text in the query string. */
export const PageQuery = Type.Object({
  limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,6}$', description: 'a whole number: the most items to return' })),
  marker: Type.Optional(Type.String({ description: 'Id of the last item of the previous page' })),
});

/** The largest whole number the store keeps exactly (a signed 32-bit column, as Trove's). */
export const INT32_MAX = 2 ** 31 - 1;

/**
 * A whole number of a request body with its range stated, so that 1.5, "5", 1e12 or a number
 * JSON cannot carry exactly (9007199254740993) is refused by name before anything stores it.
 * The description, which a refusal quotes, says the range.
 */
export const WholeNumber = (minimum: number, maximum: number, noun = 'a whole number', note?: string) => Type.Integer({ minimum, maximum, description: `${noun} from ${minimum} to ${maximum}${note ? ` (${note})` : ''}` });

/** Trove's flags (`"enable": 1`): 0 or 1, or a JSON boolean; never a string such as "false". */
export const Flag = () => Type.Union([Type.Integer({ minimum: 0, maximum: 1 }), Type.Boolean()], { description: '0 or 1, or false or true (a JSON boolean, not a string)' });

/**
 * A name or description: no control characters (NUL, tab, newline, DEL, C1), which clients and
 * logs cut or turn into line breaks, so what was stored would not be what is shown.
 */
export const PlainText = (minLength: number, maxLength: number) =>
  Type.String({ minLength, maxLength, pattern: '^[^\\u0000-\\u001f\\u007f-\\u009f]*$', description: `text of ${minLength} to ${maxLength} characters without control characters (such as NUL, tab or newline)` });

/** A yes/no query parameter as Trove's clients write it (troveclient sends Python's `False`). */
export const TroveBoolean = Type.String({ pattern: '^([Tt]rue|TRUE|[Ff]alse|FALSE|1|0)$', description: 'true or false (True, False, 1 or 0)' });
export const isTrue = (value: string | undefined): boolean => value !== undefined && /^(true|1)$/i.test(value);

/** 202 with an empty body: the work goes on in the background. */
export const ACCEPTED = { 202: Type.Unknown({ description: 'Accepted (empty body): the work goes on in the background' }) };
