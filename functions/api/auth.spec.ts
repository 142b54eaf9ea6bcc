import * as z from 'zod';
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
import { domainFilter, type GroupSpec, NO_CONTENT, named, reads, withBody } from './spec.ts';

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
  startDeviceAuthorization: withBody(
    'Start a device sign-in (RFC 8628)',
    'none',
    named('DeviceCodeRequest', DeviceCodeRequestSchema),
    named('DeviceCodeView', DeviceCodeViewSchema),
  ),
  exchangeDeviceCode: withBody(
    'Poll for the access token of a device sign-in',
    'none',
    named('DeviceTokenRequest', DeviceTokenRequestSchema),
    named('DeviceTokenView', DeviceTokenViewSchema),
  ),
  signInPage: {
    summary: 'The sign-in page (HTML)',
    authorization: 'none',
    answers: { 200: 'html' },
    query: { user_code: { schema: { type: 'string' }, description: 'The code shown by the device, e.g. ABCD-EFGH.' } },
  },
  signIn: withBody(
    'Sign in on the page; sets the session and CSRF cookies',
    'none',
    named('SignInRequest', SignInRequestSchema),
    named('SignInView', SignInViewSchema),
  ),
  approveDevice: withBody('Approve a device sign-in from the page', 'session', DECISION, DEVICE_DECISION),
  denyDevice: withBody('Deny a device sign-in from the page', 'session', DECISION, DEVICE_DECISION),
  jwks: reads('Public keys that verify access tokens', 'none', named('JwksView', JwksViewSchema)),
  whoami: reads('Who the access token belongs to', 'token', named('WhoamiView', WhoamiViewSchema)),
  signOut: { summary: 'Sign out of the page session (always 204)', authorization: 'none', answers: NO_CONTENT },
  openApiDocument: reads('This document', 'none', OPENAPI_DOCUMENT),
} satisfies GroupSpec;
