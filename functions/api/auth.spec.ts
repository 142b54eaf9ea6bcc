import { z } from 'zod';
import {
  DeviceCodeRequestSchema,
  DeviceCodeViewSchema,
  DeviceDecisionRequestSchema,
  DeviceDecisionViewSchema,
  DeviceTokenRequestSchema,
  DeviceTokenViewSchema,
  IdpBindingViewSchema,
  JwksViewSchema,
  SignInRequestSchema,
  SignInViewSchema,
  WhoamiViewSchema,
} from '../core/auth/schemas.ts';
import { domainFilter, type GroupSpec, NO_CONTENT, named, OK } from './spec.ts';

// The sign-in flow asks no Cedar action: its routes are public, or checked by the page session.

const DEVICE_DECISION = named('DeviceDecisionView', DeviceDecisionViewSchema);
const DECISION = named('DeviceDecisionRequest', DeviceDecisionRequestSchema);
// Only the shape a reader relies on; the document is openapi.ts's own output.
const OPENAPI_DOCUMENT = named(
  'OpenApiDocument',
  z.looseObject({
    openapi: z.string(),
    info: z.looseObject({ title: z.string(), version: z.string() }),
    paths: z.record(z.string(), z.unknown()),
  }),
);

export const authSpec = {
  listIdpBindings: {
    summary: "List a domain's sign-in methods",
    authorization: 'none',
    answers: { 200: { array: named('IdpBindingView', IdpBindingViewSchema) } },
    query: {
      domain_id: domainFilter('The domain whose bindings to list (needed unless scope=platform).'),
      scope: { schema: { type: 'string', enum: ['platform'] }, description: 'platform: the platform-wide bindings (none in this broker).' },
    },
  },
  startDeviceAuthorization: {
    summary: 'Start a device sign-in (RFC 8628)',
    authorization: 'none',
    body: named('DeviceCodeRequest', DeviceCodeRequestSchema),
    answers: OK(named('DeviceCodeView', DeviceCodeViewSchema)),
  },
  exchangeDeviceCode: {
    summary: 'Poll for the access token of a device sign-in',
    authorization: 'none',
    body: named('DeviceTokenRequest', DeviceTokenRequestSchema),
    answers: OK(named('DeviceTokenView', DeviceTokenViewSchema)),
  },
  signInPage: {
    summary: 'The sign-in page (HTML)',
    authorization: 'none',
    answers: { 200: 'html' },
    query: { user_code: { schema: { type: 'string' }, description: 'The code shown by the device, e.g. ABCD-EFGH.' } },
  },
  signIn: {
    summary: 'Sign in on the page; sets the session and CSRF cookies',
    authorization: 'none',
    body: named('SignInRequest', SignInRequestSchema),
    answers: OK(named('SignInView', SignInViewSchema)),
  },
  approveDevice: {
    summary: 'Approve a device sign-in from the page',
    authorization: 'session',
    body: DECISION,
    answers: OK(DEVICE_DECISION),
  },
  denyDevice: { summary: 'Deny a device sign-in from the page', authorization: 'session', body: DECISION, answers: OK(DEVICE_DECISION) },
  jwks: { summary: 'Public keys that verify access tokens', authorization: 'none', answers: OK(named('JwksView', JwksViewSchema)) },
  whoami: { summary: 'Who the access token belongs to', authorization: 'token', answers: OK(named('WhoamiView', WhoamiViewSchema)) },
  signOut: { summary: 'Sign out of the page session (always 204)', authorization: 'none', answers: NO_CONTENT },
  openApiDocument: { summary: 'This document', authorization: 'none', answers: OK(OPENAPI_DOCUMENT) },
} satisfies GroupSpec;
