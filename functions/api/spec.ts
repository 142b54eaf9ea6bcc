// One description per operation: what it takes, what it answers and what it needs of its caller.
// Each function group keeps its entries in <group>.spec.ts beside its handler, keyed by the
// route table's operation name. The handler parses its body with the schema named there and
// openapi.ts documents that same entry, so the two cannot name different schemas.

import type * as z from 'zod';
import type { Action, AuthzResource } from '../core/authz/model.ts';
import { parseBody } from '../shared/validation.ts';

export type Json = Record<string, unknown>;

/** A named schema: a component under #/components/schemas (operations parsing the same schema share one name). */
export interface Named<S extends z.ZodType = z.ZodType> {
  name: string;
  schema: S;
}

/** What a success answer carries: a view, a page or array of views, or no JSON at all. */
export type Content = { view: Named } | { page: Named } | { array: Named } | 'html' | 'empty' | 'problem';

export interface QueryParam {
  schema: Json;
  description: string;
}

/**
 * What the operation needs of its caller: the Cedar action its use case asks the authorizer for,
 * on which entity type; or, for routes checked otherwise, only how the caller authenticates
 * (`token`: any valid access token).
 */
export type Authorization = { action: Action; on: AuthzResource['type'] } | 'none' | 'token' | 'session' | 'node';

export interface OperationSpec {
  summary: string;
  authorization: Authorization;
  /** The schema the handler parses its body with. */
  body?: Named;
  /** Set on a POST, PUT or PATCH that reads no JSON body: why. */
  noBody?: string;
  /** Status → what it carries; the handler's answers when all goes well. */
  answers: Partial<Record<200 | 201 | 202 | 204 | 304 | 501, Content>>;
  /** 201/202 answers name the new thing in a Location header. */
  location?: boolean;
  /** A list: `cursor` and `limit` are added, with these filters. */
  list?: Record<string, QueryParam>;
  query?: Record<string, QueryParam>;
  idempotencyKey?: boolean;
  /** 200 carries an ETag; a request whose If-None-Match matches it is answered 304. */
  etag?: boolean;
}

/** A function group's operations, keyed by the route table's operation name. */
export type GroupSpec = Record<string, OperationSpec>;

export const named = <S extends z.ZodType>(name: string, schema: S): Named<S> => ({ name, schema });
export const can = (action: Action, on: AuthzResource['type']): Authorization => ({ action, on });

export const uuid = { type: 'string', format: 'uuid' };
export const domainFilter = (description: string): QueryParam => ({ schema: uuid, description });

export const OK = (v: Named) => ({ 200: { view: v } });
export const CREATED = (v: Named) => ({ 201: { view: v } });
export const PAGE = (v: Named) => ({ 200: { page: v } });
export const NO_CONTENT = { 204: 'empty' } as const;

// The common entries. Each keeps its body's schema type, so `bodyOf` parses with that very schema.

/** A create: takes `body`, answers 201 with the new view and its Location. */
export const creates = <S extends z.ZodType>(summary: string, authorization: Authorization, body: Named<S>, view: Named) => ({
  summary,
  authorization,
  body,
  answers: CREATED(view),
  location: true,
});

/** Takes `body` and answers 200 with `view`. */
export const withBody = <S extends z.ZodType>(summary: string, authorization: Authorization, body: Named<S>, view: Named) => ({
  summary,
  authorization,
  body,
  answers: OK(view),
});

/** A read of one view. */
export const reads = (summary: string, authorization: Authorization, view: Named) => ({ summary, authorization, answers: OK(view) });

/** A page of views; `filters` are the list's own query parameters (cursor and limit are added). */
export const lists = (summary: string, authorization: Authorization, view: Named, filters: Record<string, QueryParam> = {}) => ({
  summary,
  authorization,
  answers: PAGE(view),
  list: filters,
});

/** Parses the request body with the operation's own schema (400 invalid_body on any mismatch). */
export function bodyOf<S extends z.ZodType>(op: { body: Named<S> }, req: { body: unknown }): z.infer<S> {
  return parseBody(op.body.schema, req.body);
}
