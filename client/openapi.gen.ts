// Generated from the OpenAPI document the broker serves at GET /v1/openapi.json.
// Do not edit: run `npm run gen:client` after changing a route, a spec or a schema.
export interface paths {
    "/v1/auth/idp-bindings": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List a domain's sign-in methods */
        get: operations["listIdpBindings"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/auth/device-code": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Start a device sign-in (RFC 8628) */
        post: operations["startDeviceAuthorization"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/auth/device-token": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Poll for the access token of a device sign-in */
        post: operations["exchangeDeviceCode"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/auth/device": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The sign-in page (HTML) */
        get: operations["signInPage"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/auth/sign-in": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Sign in on the page; sets the session and CSRF cookies */
        post: operations["signIn"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/auth/device/approve": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Approve a device sign-in from the page */
        post: operations["approveDevice"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/auth/device/deny": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Deny a device sign-in from the page */
        post: operations["denyDevice"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/auth/jwks": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Public keys that verify access tokens */
        get: operations["jwks"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/auth/whoami": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Who the access token belongs to */
        get: operations["whoami"];
        put?: never;
        post?: never;
        /** Sign out of the page session (always 204) */
        delete: operations["signOut"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/openapi.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** This document */
        get: operations["openApiDocument"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/domains": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List domains */
        get: operations["listDomains"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/domains/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get a domain */
        get: operations["getDomain"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/projects": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List a domain's projects */
        get: operations["listProjects"];
        put?: never;
        /** Create a project */
        post: operations["createProject"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/projects/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get a project */
        get: operations["getProject"];
        put?: never;
        post?: never;
        /** Delete an empty project */
        delete: operations["deleteProject"];
        options?: never;
        head?: never;
        /** Rename or describe a project */
        patch: operations["patchProject"];
        trace?: never;
    };
    "/v1/projects/{id}/owner": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Hand a project to another owner */
        post: operations["transferProject"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/clouds": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List clouds */
        get: operations["listClouds"];
        put?: never;
        /** Create a cloud */
        post: operations["createCloud"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/clouds/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get a cloud */
        get: operations["getCloud"];
        put?: never;
        post?: never;
        /** Delete a cloud */
        delete: operations["deleteCloud"];
        options?: never;
        head?: never;
        /** Change a cloud */
        patch: operations["patchCloud"];
        trace?: never;
    };
    "/v1/clouds/{id}/cloud-credentials": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List a cloud's credentials */
        get: operations["listCredentials"];
        put?: never;
        /** Issue a credential for a cloud (the payload is never returned) */
        post: operations["createCredential"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/cloud-credentials/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get a credential */
        get: operations["getCredential"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/cloud-credentials/{id}/revoke": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Revoke a credential */
        post: operations["revokeCredential"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/blueprints": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List blueprints (without their versions) */
        get: operations["listBlueprints"];
        put?: never;
        /** Create a blueprint */
        post: operations["createBlueprint"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/blueprints/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get a blueprint and its versions */
        get: operations["getBlueprint"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/blueprints/{id}/versions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Publish an immutable blueprint version */
        post: operations["publishBlueprintVersion"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/projects/{id}/credential-assignments": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List a project's credential assignments */
        get: operations["listAssignments"];
        put?: never;
        /** Ask for a credential to be assigned to a project */
        post: operations["requestAssignment"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/credential-assignments/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get a credential assignment */
        get: operations["getAssignment"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /** Narrow an approved assignment's terms (never widens them) */
        patch: operations["narrowTerms"];
        trace?: never;
    };
    "/v1/credential-assignments/{id}/approve": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Approve an assignment, with terms (optional; no body grants what was proposed) */
        post: operations["approveAssignment"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/credential-assignments/{id}/reject": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Reject an assignment */
        post: operations["rejectAssignment"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/credential-assignments/{id}/revoke": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Revoke an approved assignment (teardown: true also tears its running Resources down) */
        post: operations["revokeAssignment"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/approvals": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The approvals queue */
        get: operations["listApprovals"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/approvals/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get an approval (its id is the assignment id) */
        get: operations["getApproval"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/approvals/{id}/approve": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Approve from the queue, with terms (optional) */
        post: operations["approveApproval"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/approvals/{id}/reject": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Reject from the queue */
        post: operations["rejectApproval"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/domains/{id}/audit/entries": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A domain's audit trail */
        get: operations["listAuditEntries"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/domains/{id}/audit/verify": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Check a domain's audit chain: every entry still hashes to its hash, links to the one before it, and the last one matches the head */
        get: operations["verifyAuditChain"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/projects/{id}/resources": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List a project's Resources */
        get: operations["listResources"];
        put?: never;
        /** Declare a Resource: 202 starts provisioning, 201 records an adopted one; a dry run answers 200 with the plan */
        post: operations["createResource"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/resources/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get a Resource and where its provisioning stands */
        get: operations["getResource"];
        put?: never;
        post?: never;
        /** Delete a Resource (a provisioned one is torn down: 202; an adopted one is removed: 204) */
        delete: operations["deleteResource"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/resources/{id}/lease": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Extend or shorten a Resource's lease, up to its max_expires_at */
        post: operations["moveLease"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/domains/{id}/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A domain's events in seq order (its admins and auditors) */
        get: operations["listDomainEvents"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/projects/{id}/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A project's events in seq order (whoever may read the project) */
        get: operations["listProjectEvents"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/domains/{id}/webhooks": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A domain's webhooks */
        get: operations["listWebhooks"];
        put?: never;
        /** Register a webhook for some of the domain’s event types (answers its signing secret, once) */
        post: operations["createWebhook"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/webhooks/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get a webhook */
        get: operations["getWebhook"];
        put?: never;
        post?: never;
        /** Delete a webhook and its signing secret (pending deliveries are dropped) */
        delete: operations["deleteWebhook"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/webhooks/{id}/deliveries": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A webhook's deliveries, each with its attempts */
        get: operations["listDeliveries"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Send a delivered or parked delivery again (queued: the answer is the delivery, pending) */
        post: operations["redeliver"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/register": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Register a node with its bootstrap token */
        post: operations["register"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/nodes/{id}/heartbeat": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Node heartbeat */
        post: operations["heartbeat"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/nodes/{id}/state": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The node's desired state */
        get: operations["nodeState"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/nodes/{id}/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Signed event stream (not provisioned here: always 501) */
        get: operations["nodeEvents"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/nodes/{id}/capabilities": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Record the node's capability manifest */
        put: operations["putCapabilities"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /** @description RFC 9457 problem details; `code` is stable, the prose is not. */
        Problem: {
            /** Format: uri */
            type: string;
            title: string;
            status: number;
            detail: string;
            instance: string;
            /** @description Machine-readable reason, e.g. invalid_body or project_slug_conflict. */
            code: string;
            /** @description Finds the request in the log; also sent as X-Correlation-Id. */
            correlation_id: string;
            /**
             * @description Why authorization refused (403).
             * @enum {string}
             */
            reason?: "out_of_scope" | "insufficient_relation";
            /** @description One entry per offending field. */
            errors?: {
                path: string;
                message: string;
            }[];
        };
        IdpBindingView: {
            id: string;
            label: string;
            issuer_host: string;
            primary: boolean;
            platform_scoped: boolean;
        };
        DeviceCodeView: {
            device_code: string;
            user_code: string;
            verification_uri: string;
            verification_uri_complete: string;
            expires_in: number;
            interval: number;
        };
        DeviceTokenView: {
            access_token: string;
            /** @constant */
            token_type: "Bearer";
            expires_in: number;
        };
        SignInView: {
            subject: string;
            email: string;
            display_name: string;
            domain_id: string;
            expires_at: string;
        };
        DeviceDecisionView: {
            /** @enum {string} */
            status: "approved" | "denied";
        };
        JwksView: {
            keys: ({
                kty: string;
                kid: string;
                alg: string;
                /** @constant */
                use: "sig";
            } & {
                [key: string]: unknown;
            })[];
        };
        WhoamiView: {
            /** @constant */
            principal_type: "user";
            /** @constant */
            principal_scope: "domain";
            subject: string;
            domain_id: string;
            email: string;
            display_name: string;
        };
        OpenApiDocument: {
            openapi: string;
            info: {
                title: string;
                version: string;
            } & {
                [key: string]: unknown;
            };
            paths: {
                [key: string]: unknown;
            };
        } & {
            [key: string]: unknown;
        };
        DomainView: {
            id: string;
            slug: string;
            name: string;
            mesh_cidr: string;
            reachability: {
                heartbeat_interval: string;
                stale_after: string;
                unreachable_after: string;
            };
            created_at: string;
            updated_at: string;
        };
        /** @description One page of DomainView; next_cursor is absent on the last page, opaque, and only valid for the same caller and query. */
        DomainViewPage: {
            items: components["schemas"]["DomainView"][];
            next_cursor?: string;
        };
        ProjectView: {
            id: string;
            domain_id: string;
            name: string;
            slug: string;
            description: string;
            sub_range_cidr?: string;
            owner_id: string;
            created_at: string;
            updated_at: string;
        };
        /** @description One page of ProjectView; next_cursor is absent on the last page, opaque, and only valid for the same caller and query. */
        ProjectViewPage: {
            items: components["schemas"]["ProjectView"][];
            next_cursor?: string;
        };
        CloudView: {
            id: string;
            display_name: string;
            slug: string;
            /** @enum {string} */
            provider: "aws" | "azure";
            endpoint: {
                [key: string]: unknown;
            };
            region_defaults: {
                [key: string]: unknown;
            };
            external_id: string;
            created_at: string;
            updated_at: string;
        };
        /** @description One page of CloudView; next_cursor is absent on the last page, opaque, and only valid for the same caller and query. */
        CloudViewPage: {
            items: components["schemas"]["CloudView"][];
            next_cursor?: string;
        };
        CredentialView: {
            id: string;
            cloud_id: string;
            display_name: string;
            version: number;
            owner_id: string;
            expires_at: string;
            created_at: string;
            updated_at: string;
            revoked_at?: string;
            /** @enum {string} */
            status: "active" | "expired" | "revoked";
        };
        /** @description One page of CredentialView; next_cursor is absent on the last page, opaque, and only valid for the same caller and query. */
        CredentialViewPage: {
            items: components["schemas"]["CredentialView"][];
            next_cursor?: string;
        };
        BlueprintView: {
            id: string;
            slug: string;
            display_name: string;
            description: string;
            /** @enum {string} */
            status: "active" | "retired";
            created_at: string;
            updated_at: string;
            versions: components["schemas"]["BlueprintVersionView"][];
        };
        /** @description One page of BlueprintView; next_cursor is absent on the last page, opaque, and only valid for the same caller and query. */
        BlueprintViewPage: {
            items: components["schemas"]["BlueprintView"][];
            next_cursor?: string;
        };
        BlueprintVersionView: {
            id: string;
            version: string;
            provider_kinds: ("aws" | "gcp" | "hetzner" | "openstack")[];
            /** @enum {string} */
            injection_strategy: "cloud-init-user-data" | "helm-values" | "provider-secret";
            created_at: string;
            parameter_schema: {
                name: string;
                /** @enum {string} */
                type: "boolean" | "integer" | "string";
                required: boolean;
                default?: boolean | number | string;
                description?: string;
                allowed_values?: (boolean | number | string)[];
                /** @constant */
                allowed_values_from?: "cloud_regions";
                pattern?: string;
                minimum?: number;
                maximum?: number;
            }[];
        };
        AssignmentView: {
            id: string;
            project_id: string;
            cloud_credential_id: string;
            /** @enum {string} */
            state: "requested" | "approved" | "rejected" | "revoked";
            materialised: boolean;
            requested_by: string;
            requested_by_email?: string;
            created_at: string;
            updated_at: string;
            expires_at: string;
            decided_at?: string;
            decided_by?: string;
            decision_reason?: string;
            proposed_terms?: {
                max_live_resources?: number;
                max_lease_seconds?: number;
                allowed_blueprint_version_ids?: string[];
            };
            terms?: {
                max_live_resources?: number;
                max_lease_seconds?: number;
                allowed_blueprint_version_ids?: string[];
            };
            usage: {
                live_resources: number;
            };
        };
        /** @description One page of AssignmentView; next_cursor is absent on the last page, opaque, and only valid for the same caller and query. */
        AssignmentViewPage: {
            items: components["schemas"]["AssignmentView"][];
            next_cursor?: string;
        };
        ApprovalView: {
            id: string;
            domain_id: string;
            proposer_subject: string;
            proposer_email?: string;
            /** @constant */
            action_kind: "credential_assignment";
            target_resource: string;
            payload: {
                project_id: string;
                cloud_credential_id: string;
                /** @enum {string} */
                assignment_state: "requested" | "approved" | "rejected" | "revoked";
            };
            /** @enum {string} */
            state: "pending-approval" | "approved" | "rejected" | "expired";
            created_at: string;
            expires_at: string;
            decided_at?: string;
            decided_by_subject?: string;
            decision_reason?: string;
            proposed_terms?: {
                max_live_resources?: number;
                max_lease_seconds?: number;
                allowed_blueprint_version_ids?: string[];
            };
            terms?: {
                max_live_resources?: number;
                max_lease_seconds?: number;
                allowed_blueprint_version_ids?: string[];
            };
            usage: {
                live_resources: number;
            };
        };
        /** @description One page of ApprovalView; next_cursor is absent on the last page, opaque, and only valid for the same caller and query. */
        ApprovalViewPage: {
            items: components["schemas"]["ApprovalView"][];
            next_cursor?: string;
        };
        AuditEntryView: {
            id: string;
            domain_id: string;
            at: string;
            actor_subject: string;
            action: string;
            target: string;
            /** @enum {string} */
            outcome: "succeeded" | "denied";
            reason?: string;
            correlation_id: string;
            details?: {
                [key: string]: string;
            };
            /** @description The entry's place in its domain's chain: 1, 2, 3 … with no gaps. */
            seq?: number;
            /** @description The hash of the entry before it (64 zeros for the first). */
            prev_hash?: string;
            /** @description SHA-256 (hex) of the canonical JSON of every other field of the entry. */
            hash?: string;
        };
        /** @description One page of AuditEntryView; next_cursor is absent on the last page, opaque, and only valid for the same caller and query. */
        AuditEntryViewPage: {
            items: components["schemas"]["AuditEntryView"][];
            next_cursor?: string;
        };
        AuditChainVerdictView: {
            /** @description Whether every entry links to the one before it and the last one matches the head. */
            valid: boolean;
            /** @description How many chained entries were read. */
            entries: number;
            /** @description The head's hash (the newest entry's), or null before the first entry. */
            head: string | null;
            /** @description Present only when the chain is broken: the first place it breaks. */
            first_broken?: {
                /** @description The entry where the chain breaks (head_mismatch: the last entry found; null when none was). */
                id: string | null;
                /**
                 * @description hash_mismatch: its fields no longer hash to its stored hash: it was changed after it was written; seq_gap: its seq is not the next number: an entry before it is missing or out of place; prev_hash_mismatch: its prev_hash is not the hash of the entry before it: that entry was replaced, or entries were reordered; head_mismatch: the head records another newest entry: entries after this one were removed, or the head was changed
                 * @enum {string}
                 */
                reason: "hash_mismatch" | "seq_gap" | "prev_hash_mismatch" | "head_mismatch";
            };
        };
        CreatePlanView: {
            allowed: boolean;
            reasons: {
                code: string;
                message: string;
            }[];
            resource: components["schemas"]["ResourceView"];
            quota: {
                limit: number | null;
                live: number;
            };
            blueprint_version?: {
                id: string;
                version: string;
                parameter_schema: {
                    name: string;
                    /** @enum {string} */
                    type: "boolean" | "integer" | "string";
                    required: boolean;
                    default?: boolean | number | string;
                    description?: string;
                    allowed_values?: (boolean | number | string)[];
                    /** @constant */
                    allowed_values_from?: "cloud_regions";
                    pattern?: string;
                    minimum?: number;
                    maximum?: number;
                }[];
            };
        };
        ResourceView: {
            id: string;
            project_id: string;
            domain_id: string;
            kind: string;
            /** @enum {string} */
            origin: "provisioned" | "adopted";
            external_ref?: string;
            created_at: string;
            updated_at: string;
            blueprint_version_id?: string;
            cloud_credential_id?: string;
            lease?: {
                expires_at: string;
                max_expires_at: string | null;
            };
            provisioning?: {
                /** @enum {string} */
                phase: "Pending" | "Provisioning" | "Enrolling" | "Ready" | "Failed" | "Deregistering" | "Deprovisioning" | "Deleted";
                provisioned_resource_id: string;
                generation: number;
                reason: string;
                /** @enum {string} */
                reason_code?: "delete_requested" | "lease_expired" | "assignment_revoked";
                waiting_on?: string;
                deadline?: string;
                last_error?: {
                    code: string;
                    message: string;
                };
                transitions: {
                    /** @enum {string} */
                    phase: "Pending" | "Provisioning" | "Enrolling" | "Ready" | "Failed" | "Deregistering" | "Deprovisioning" | "Deleted";
                    at: string;
                }[];
                substrate?: {
                    /** @enum {string} */
                    provider: "aws" | "azure";
                    region: string;
                    instance_id?: string;
                    state?: string;
                };
                node?: {
                    node_id: string;
                    mesh_ip: string;
                    registered_at: string;
                    last_heartbeat_at?: string;
                };
            };
        };
        /** @description One page of ResourceView; next_cursor is absent on the last page, opaque, and only valid for the same caller and query. */
        ResourceViewPage: {
            items: components["schemas"]["ResourceView"][];
            next_cursor?: string;
        };
        /** @description Events in seq order. seq counts 1, 2, 3 … per domain with no gaps; next_after_seq is the seq of the last event read (also one the type filter skipped), or after_seq when nothing newer exists: resume with after_seq=next_after_seq. */
        EventListView: {
            items: {
                id: string;
                seq: number;
                /** @enum {string} */
                type: "resource.created" | "resource.phase_changed" | "resource.deleted" | "resource.create_refused" | "resource.lease_set" | "resource.lease_extended" | "resource.lease_expiring" | "resource.lease_expired" | "assignment.requested" | "assignment.approved" | "assignment.rejected" | "assignment.revoked" | "assignment.expired" | "assignment.terms_changed" | "project.owner_changed";
                at: string;
                domain_id: string;
                project_id?: string;
                project_seq?: number;
                subject: {
                    /** @enum {string} */
                    kind: "resource" | "credential_assignment" | "project";
                    id: string;
                };
                actor?: {
                    /** @constant */
                    kind: "user";
                    id: string;
                };
                data: {
                    [key: string]: unknown;
                };
            }[];
            next_after_seq: number;
        };
        CreatedWebhookView: {
            id: string;
            domain_id: string;
            url: string;
            event_types: ("resource.created" | "resource.phase_changed" | "resource.deleted" | "resource.create_refused" | "resource.lease_set" | "resource.lease_extended" | "resource.lease_expiring" | "resource.lease_expired" | "assignment.requested" | "assignment.approved" | "assignment.rejected" | "assignment.revoked" | "assignment.expired" | "assignment.terms_changed" | "project.owner_changed")[];
            created_at: string;
            created_by: string;
            /** @description The signing secret (whsec_ and the base64 of 32 random bytes). Shown in this answer only: store it now. */
            secret: string;
        };
        WebhookView: {
            id: string;
            domain_id: string;
            url: string;
            event_types: ("resource.created" | "resource.phase_changed" | "resource.deleted" | "resource.create_refused" | "resource.lease_set" | "resource.lease_extended" | "resource.lease_expiring" | "resource.lease_expired" | "assignment.requested" | "assignment.approved" | "assignment.rejected" | "assignment.revoked" | "assignment.expired" | "assignment.terms_changed" | "project.owner_changed")[];
            created_at: string;
            created_by: string;
        };
        /** @description One page of WebhookView; next_cursor is absent on the last page, opaque, and only valid for the same caller and query. */
        WebhookViewPage: {
            items: components["schemas"]["WebhookView"][];
            next_cursor?: string;
        };
        WebhookDeliveryView: {
            id: string;
            webhook_id: string;
            event_id: string;
            event_seq: number;
            /** @enum {string} */
            event_type: "resource.created" | "resource.phase_changed" | "resource.deleted" | "resource.create_refused" | "resource.lease_set" | "resource.lease_extended" | "resource.lease_expiring" | "resource.lease_expired" | "assignment.requested" | "assignment.approved" | "assignment.rejected" | "assignment.revoked" | "assignment.expired" | "assignment.terms_changed" | "project.owner_changed";
            subject: {
                kind: string;
                id: string;
            };
            /** @enum {string} */
            status: "pending" | "delivered" | "parked";
            attempts: {
                at: string;
                status_code: number | null;
                error?: string;
                duration_ms: number;
            }[];
            /** @description When it is tried next; null once delivered or parked. */
            next_attempt_at: string | null;
            created_at: string;
            delivered_at?: string;
            parked_at?: string;
            redelivered_at?: string;
        };
        /** @description One page of WebhookDeliveryView; next_cursor is absent on the last page, opaque, and only valid for the same caller and query. */
        WebhookDeliveryViewPage: {
            items: components["schemas"]["WebhookDeliveryView"][];
            next_cursor?: string;
        };
        RegistrationView: {
            node_id: string;
            mesh_ip: string;
            signing_public_key: string;
            signing_key_id: string;
            nsk: string;
            peer_snapshot: {
                node_id: string;
                mesh_ip: string;
                public_key: string;
            }[];
            domain_mesh_cidr: string;
        };
        HeartbeatView: {
            accepted_at: string;
            reconcile: boolean;
            rotate_keys: boolean;
        };
        NodeStateView: {
            peers: {
                node_id: string;
                mesh_ip: string;
                public_key: string;
            }[];
            reachability: {
                /** @enum {string} */
                state: "healthy" | "stale" | "unreachable";
                last_heartbeat_at?: string;
                changed_at: string;
            };
            policy: null;
            bridge: null;
            state: {
                metadata: unknown[];
                data: unknown[];
                reports: unknown[];
            };
            reports: {
                metadata: unknown[];
                data: unknown[];
                reports: unknown[];
            };
        };
        CapabilitiesView: {
            accepted_at: string;
            fields_changed: ("binary_checksum" | "binary_version" | "declared_hooks" | "plexd_hooks" | "ssh_host_key_fingerprint")[];
            host_key_changed: boolean;
        };
        DeviceCodeRequest: {
            domain_id?: string;
            idp_binding_id?: string;
            client_id?: string;
        };
        DeviceTokenRequest: {
            device_code: string;
            client_id?: string;
        };
        SignInRequest: {
            domain_id?: string;
            idp_binding_id?: string;
            email: string;
            password: string;
        };
        DeviceDecisionRequest: {
            user_code: string;
        };
        CreateProjectBody: {
            domain_id: string;
            name: string;
            slug: string;
            description?: string;
            sub_range_cidr?: string;
        };
        PatchProjectBody: {
            name?: string;
            description?: string;
        };
        TransferOwnerBody: {
            /** @description The new owner: a user with a role in the project's domain that may own projects (admin or member). */
            user_id: string;
        };
        CreateCloudBody: {
            display_name: string;
            slug: string;
            provider: string;
            endpoint: {
                [key: string]: unknown;
            };
            region_defaults: {
                [key: string]: unknown;
            };
            external_id: string;
        };
        PatchCloudBody: {
            display_name?: string;
            endpoint?: {
                [key: string]: unknown;
            };
            region_defaults?: {
                [key: string]: unknown;
            };
            slug?: unknown;
            provider?: unknown;
        };
        IssueCredentialBody: {
            display_name: string;
            payload: string;
            key_values?: {
                [key: string]: string;
            };
            expires_at?: string;
        };
        RevokeCredentialBody: {
            reason: string;
        };
        CreateBlueprintBody: {
            slug: string;
            display_name: string;
            description?: string;
        };
        PublishVersionBody: {
            version: string;
            provider_kinds: string[];
            injection_strategy: string;
            parameter_schema: unknown;
            xrd?: {
                [key: string]: unknown;
            };
            composition?: {
                [key: string]: unknown;
            };
        };
        RequestAssignmentBody: {
            cloud_credential_id?: string;
            cloud_id?: string;
            terms?: {
                max_live_resources?: number;
                max_lease_seconds?: number;
                allowed_blueprint_version_ids?: string[];
            };
        };
        TermsBody: {
            terms: {
                max_live_resources?: number;
                max_lease_seconds?: number;
                allowed_blueprint_version_ids?: string[];
            };
        };
        ApproveBody: {
            terms?: {
                max_live_resources?: number;
                max_lease_seconds?: number;
                allowed_blueprint_version_ids?: string[];
            };
            reason?: string;
        };
        ReasonBody: {
            reason: string;
        };
        RevokeBody: {
            reason: string;
            teardown?: boolean;
        };
        CreateResourceBody: {
            /** @constant */
            origin: "provisioned";
            kind: string;
            blueprint_version_id: string;
            cloud_credential_id: string;
            parameters?: {
                [key: string]: unknown;
            };
            lease_seconds?: number;
        } | {
            /** @constant */
            origin: "adopted";
            kind: string;
            external_ref?: string;
        };
        LeaseBody: {
            /** Format: date-time */
            expires_at: string;
        };
        CreateWebhookBody: {
            url: string;
            /** @description One or more event types; an empty list is refused. */
            event_types: string[];
        };
        RegisterBody: {
            project_id: string;
            resource_handle: string;
            bootstrap_token: string;
            nonce: string;
            public_key: string;
            requested_resource_id?: string;
        };
        HeartbeatBody: {
            client_now: string;
            binary_checksum?: string;
            binary_version?: string;
            nat_summary: {
                [key: string]: unknown;
            };
        };
        CapabilityManifestBody: {
            binary_version?: string;
            binary_checksum?: string;
            ssh_host_key_fingerprint?: string;
            declared_hooks?: {
                name: string;
                checksum: string;
            }[];
            plexd_hooks?: {
                name: string;
                image_digest: string;
                parameters?: {
                    [key: string]: string;
                };
                timeout_seconds?: number;
                sandbox?: boolean;
            }[];
        };
    };
    responses: {
        /** @description The request failed */
        Problem: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
    };
    parameters: never;
    requestBodies: never;
    headers: {
        /** @description Path of the created (or accepted) item. */
        Location: string;
        /** @description Names this answer; send it back as If-None-Match. */
        ETag: string;
    };
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    listIdpBindings: {
        parameters: {
            query?: {
                /** @description The domain whose bindings to list (needed unless scope=platform). */
                domain_id?: string;
                /** @description platform: the platform-wide bindings (none in this broker). */
                scope?: "platform";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["IdpBindingView"][];
                };
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    startDeviceAuthorization: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["DeviceCodeRequest"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeviceCodeView"];
                };
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    exchangeDeviceCode: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["DeviceTokenRequest"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeviceTokenView"];
                };
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    signInPage: {
        parameters: {
            query?: {
                /** @description The code shown by the device, e.g. ABCD-EFGH. */
                user_code?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/html": string;
                };
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    signIn: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SignInRequest"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SignInView"];
                };
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    approveDevice: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["DeviceDecisionRequest"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeviceDecisionView"];
                };
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    denyDevice: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["DeviceDecisionRequest"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeviceDecisionView"];
                };
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    jwks: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["JwksView"];
                };
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    whoami: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WhoamiView"];
                };
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    signOut: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description No Content */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    openApiDocument: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OpenApiDocument"];
                };
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    listDomains: {
        parameters: {
            query?: {
                /** @description next_cursor of the previous page. */
                cursor?: string;
                /** @description Page size, 1 to 200; out of range is refused (invalid_limit), not clamped. */
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DomainViewPage"];
                };
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    getDomain: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DomainView"];
                };
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    listProjects: {
        parameters: {
            query?: {
                /** @description The domain (default: the caller's). */
                domain_id?: string;
                /** @description next_cursor of the previous page. */
                cursor?: string;
                /** @description Page size, 1 to 200; out of range is refused (invalid_limit), not clamped. */
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ProjectViewPage"];
                };
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    createProject: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateProjectBody"];
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    Location: components["headers"]["Location"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ProjectView"];
                };
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    getProject: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ProjectView"];
                };
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    deleteProject: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description No Content */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    patchProject: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["PatchProjectBody"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ProjectView"];
                };
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    transferProject: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["TransferOwnerBody"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ProjectView"];
                };
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    listClouds: {
        parameters: {
            query?: {
                /** @description next_cursor of the previous page. */
                cursor?: string;
                /** @description Page size, 1 to 200; out of range is refused (invalid_limit), not clamped. */
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CloudViewPage"];
                };
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    createCloud: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateCloudBody"];
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    Location: components["headers"]["Location"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CloudView"];
                };
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    getCloud: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CloudView"];
                };
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    deleteCloud: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description No Content */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    patchCloud: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["PatchCloudBody"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CloudView"];
                };
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    listCredentials: {
        parameters: {
            query?: {
                /** @description next_cursor of the previous page. */
                cursor?: string;
                /** @description Page size, 1 to 200; out of range is refused (invalid_limit), not clamped. */
                limit?: number;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CredentialViewPage"];
                };
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    createCredential: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["IssueCredentialBody"];
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    Location: components["headers"]["Location"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CredentialView"];
                };
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    getCredential: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CredentialView"];
                };
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    revokeCredential: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RevokeCredentialBody"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CredentialView"];
                };
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    listBlueprints: {
        parameters: {
            query?: {
                /** @description next_cursor of the previous page. */
                cursor?: string;
                /** @description Page size, 1 to 200; out of range is refused (invalid_limit), not clamped. */
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BlueprintViewPage"];
                };
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    createBlueprint: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateBlueprintBody"];
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    Location: components["headers"]["Location"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BlueprintView"];
                };
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    getBlueprint: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BlueprintView"];
                };
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    publishBlueprintVersion: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["PublishVersionBody"];
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    Location: components["headers"]["Location"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BlueprintVersionView"];
                };
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    listAssignments: {
        parameters: {
            query?: {
                /** @description next_cursor of the previous page. */
                cursor?: string;
                /** @description Page size, 1 to 200; out of range is refused (invalid_limit), not clamped. */
                limit?: number;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AssignmentViewPage"];
                };
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    requestAssignment: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RequestAssignmentBody"];
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    Location: components["headers"]["Location"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AssignmentView"];
                };
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    getAssignment: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AssignmentView"];
                };
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    narrowTerms: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["TermsBody"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AssignmentView"];
                };
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    approveAssignment: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["ApproveBody"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AssignmentView"];
                };
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    rejectAssignment: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ReasonBody"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AssignmentView"];
                };
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    revokeAssignment: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RevokeBody"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AssignmentView"];
                };
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    listApprovals: {
        parameters: {
            query?: {
                /** @description Only approvals in this state. */
                status?: "proposed" | "pending-approval" | "approved" | "rejected" | "expired";
                /** @description Only approvals of this kind. */
                kind?: string;
                /** @description Only approvals of this domain. */
                domain_id?: string;
                /** @description next_cursor of the previous page. */
                cursor?: string;
                /** @description Page size, 1 to 200; out of range is refused (invalid_limit), not clamped. */
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApprovalViewPage"];
                };
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    getApproval: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApprovalView"];
                };
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    approveApproval: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["ApproveBody"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApprovalView"];
                };
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    rejectApproval: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ReasonBody"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApprovalView"];
                };
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    listAuditEntries: {
        parameters: {
            query?: {
                /** @description next_cursor of the previous page. */
                cursor?: string;
                /** @description Page size, 1 to 200; out of range is refused (invalid_limit), not clamped. */
                limit?: number;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AuditEntryViewPage"];
                };
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    verifyAuditChain: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AuditChainVerdictView"];
                };
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    listResources: {
        parameters: {
            query?: {
                /** @description next_cursor of the previous page. */
                cursor?: string;
                /** @description Page size, 1 to 200; out of range is refused (invalid_limit), not clamped. */
                limit?: number;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ResourceViewPage"];
                };
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    createResource: {
        parameters: {
            query?: {
                /** @description Run every admission check (constraints, terms, quota) and store nothing: 200 with the plan. */
                dry_run?: boolean;
            };
            header?: {
                /** @description Replaying the same key and body answers the same Resource; another body with it → 409. */
                "Idempotency-Key"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateResourceBody"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CreatePlanView"];
                };
            };
            /** @description Created */
            201: {
                headers: {
                    Location: components["headers"]["Location"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ResourceView"];
                };
            };
            /** @description Accepted */
            202: {
                headers: {
                    Location: components["headers"]["Location"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ResourceView"];
                };
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    getResource: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ResourceView"];
                };
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    deleteResource: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Accepted */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description No Content */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    moveLease: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["LeaseBody"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ResourceView"];
                };
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    listDomainEvents: {
        parameters: {
            query?: {
                /** @description Only events with a higher seq: next_after_seq of the previous page. seq is gap-free per domain (1, 2, 3 …), so a client that resumes with it misses nothing and sees nothing twice. `latest`: no events, and next_after_seq where the log ends now (a live view starts there). Anything else → 400 invalid_after_seq. */
                after_seq?: number | "latest";
                /** @description Only events of these types: repeat the parameter or separate types with commas. An unknown type → 400 invalid_event_type. */
                type?: ("resource.created" | "resource.phase_changed" | "resource.deleted" | "resource.create_refused" | "resource.lease_set" | "resource.lease_extended" | "resource.lease_expiring" | "resource.lease_expired" | "assignment.requested" | "assignment.approved" | "assignment.rejected" | "assignment.revoked" | "assignment.expired" | "assignment.terms_changed" | "project.owner_changed")[];
                /** @description Most events in the page, 1 to 200; out of range is refused (invalid_limit), not clamped. */
                limit?: number;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EventListView"];
                };
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    listProjectEvents: {
        parameters: {
            query?: {
                /** @description Only events with a higher seq: next_after_seq of the previous page. seq is gap-free per domain (1, 2, 3 …), so a client that resumes with it misses nothing and sees nothing twice. `latest`: no events, and next_after_seq where the log ends now (a live view starts there). Anything else → 400 invalid_after_seq. */
                after_seq?: number | "latest";
                /** @description Only events of these types: repeat the parameter or separate types with commas. An unknown type → 400 invalid_event_type. */
                type?: ("resource.created" | "resource.phase_changed" | "resource.deleted" | "resource.create_refused" | "resource.lease_set" | "resource.lease_extended" | "resource.lease_expiring" | "resource.lease_expired" | "assignment.requested" | "assignment.approved" | "assignment.rejected" | "assignment.revoked" | "assignment.expired" | "assignment.terms_changed" | "project.owner_changed")[];
                /** @description Most events in the page, 1 to 200; out of range is refused (invalid_limit), not clamped. */
                limit?: number;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EventListView"];
                };
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    listWebhooks: {
        parameters: {
            query?: {
                /** @description next_cursor of the previous page. */
                cursor?: string;
                /** @description Page size, 1 to 200; out of range is refused (invalid_limit), not clamped. */
                limit?: number;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WebhookViewPage"];
                };
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    createWebhook: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateWebhookBody"];
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    Location: components["headers"]["Location"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CreatedWebhookView"];
                };
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    getWebhook: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WebhookView"];
                };
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    deleteWebhook: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description No Content */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    listDeliveries: {
        parameters: {
            query?: {
                /** @description next_cursor of the previous page. */
                cursor?: string;
                /** @description Page size, 1 to 200; out of range is refused (invalid_limit), not clamped. */
                limit?: number;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WebhookDeliveryViewPage"];
                };
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    redeliver: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
                delivery_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Accepted */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WebhookDeliveryView"];
                };
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    register: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RegisterBody"];
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RegistrationView"];
                };
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    heartbeat: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["HeartbeatBody"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HeartbeatView"];
                };
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    nodeState: {
        parameters: {
            query?: never;
            header?: {
                /** @description The ETag of the last 200; while it still matches, the answer is 304 without a body. */
                "If-None-Match"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    ETag: components["headers"]["ETag"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["NodeStateView"];
                };
            };
            /** @description Not Modified */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    nodeEvents: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            501: components["responses"]["Problem"];
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
    putCapabilities: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["CapabilityManifestBody"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CapabilitiesView"];
                };
            };
            "4XX": components["responses"]["Problem"];
            "5XX": components["responses"]["Problem"];
        };
    };
}
