import * as z from 'zod';
import { IdSchema } from '../ids.ts';
import { IdpBindingSchema } from '../tenancy.ts';
import { normaliseUserCode } from './codes.ts';

// The /v1/auth wire schemas: request bodies and answers. One module, so functions/api/openapi.ts
// documents the contract from one place.

// ---- requests -------------------------------------------------------------------------------

export const UserCodeSchema = z
  .string()
  .max(32)
  .transform((value, ctx) => {
    const code = normaliseUserCode(value);
    if (!code) {
      ctx.addIssue({ code: 'custom', message: 'must be a code such as ABCD-EFGH' });
      return z.NEVER;
    }
    return code;
  });

export const DeviceCodeRequestSchema = z.strictObject({
  domain_id: IdSchema.optional(),
  idp_binding_id: IdSchema.optional(),
  // Accepted for wire compatibility with clients that send it; this server has one client.
  client_id: z.string().max(4096).optional(),
});

export const DeviceTokenRequestSchema = z.strictObject({
  device_code: z.string().min(1).max(4096),
  client_id: z.string().max(4096).optional(),
});

export const SignInRequestSchema = z.strictObject({
  domain_id: IdSchema.optional(),
  idp_binding_id: IdSchema.optional(),
  email: z.string().trim().min(1).max(320),
  password: z.string().min(1).max(1024),
});

export const DeviceDecisionRequestSchema = z.strictObject({ user_code: UserCodeSchema });

// ---- answers --------------------------------------------------------------------------------

/** The display-safe projection of a binding the sign-in chooser sees. */
export const IdpBindingViewSchema = IdpBindingSchema.pick({
  id: true,
  label: true,
  issuer_host: true,
  primary: true,
  platform_scoped: true,
});
export type IdpBindingView = z.infer<typeof IdpBindingViewSchema>;

/** The answer to POST /v1/auth/device-code. */
export const DeviceCodeViewSchema = z.object({
  device_code: z.string(),
  user_code: z.string(),
  verification_uri: z.string(),
  verification_uri_complete: z.string(),
  expires_in: z.number().int(),
  interval: z.number().int(),
});
export type StartedDeviceAuthorization = z.infer<typeof DeviceCodeViewSchema>;

/** The answer to POST /v1/auth/device-token once the sign-in was approved. */
export const DeviceTokenViewSchema = z.object({ access_token: z.string(), token_type: z.literal('Bearer'), expires_in: z.number().int() });
export type DeviceTokenView = z.infer<typeof DeviceTokenViewSchema>;

/** The answer to approving or denying a code on the sign-in page. */
export const DeviceDecisionViewSchema = z.object({ status: z.enum(['approved', 'denied']) });

/** The answer to POST /v1/auth/sign-in (the session itself travels in cookies). */
export const SignInViewSchema = z.object({
  subject: IdSchema,
  email: z.string(),
  display_name: z.string(),
  domain_id: IdSchema,
  expires_at: z.string(),
});
export type SignInView = z.infer<typeof SignInViewSchema>;

/** The answer to GET /v1/auth/whoami. */
export const WhoamiViewSchema = z.object({
  principal_type: z.literal('user'),
  principal_scope: z.literal('domain'),
  subject: IdSchema,
  domain_id: IdSchema,
  email: z.string(),
  display_name: z.string(),
});
export type WhoamiView = z.infer<typeof WhoamiViewSchema>;

/** GET /v1/auth/jwks: a JWK may carry members beyond these, so each key stays open. */
export const JwksViewSchema = z.object({
  keys: z.array(z.looseObject({ kty: z.string(), kid: z.string(), alg: z.string(), use: z.literal('sig') })),
});
export type JwksView = z.infer<typeof JwksViewSchema>;
