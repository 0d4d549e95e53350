//! Refusals a test (or the demo) can make the login side answer with, each as Entra answers it:
//! on the sign-in page (an error page that never redirects back) and/or at `/token` (an error
//! body with the AADSTS code). Set with `POST /_emulator/login/refuse {"code": 53003}`, optionally
//! `"only": "authorize" | "authorization_code" | "refresh_token" | "device_code"`; cleared with
//! `{"code": null}`.
//!
//! Codes and texts: Microsoft's "Microsoft Entra authentication and authorization error codes"
//! (`reference-error-codes.md`); `error` values: its table of `error` strings
//! (`interaction_required` for "another authentication step is required", `unauthorized_client`
//! for an app missing from the tenant, `invalid_grant` for unusable authentication material).
//! `suberror` values: MSAL.NET's `InvalidGrantClassification` (`basic_action`,
//! `additional_action`, `message_only`, `consent_required`, `user_password_expired`), described
//! in "Handle errors and exceptions in MSAL.NET" (the `UiRequiredExceptionClassification` table).
//!
//! What Microsoft does NOT document: which `error` and `suberror` a given AADSTS code arrives
//! with at `/token`. No page pairs 50105, 53003, 50053, 50076 or 50079 with an `error` value,
//! and answers seen from real tenants differ (AADSTS50076 arrives as `interaction_required` on a
//! refresh and as `invalid_grant` on other grants, both with `suberror: basic_action`). So each
//! kind below notes what its shape rests on, and a test can pick the other `error` with
//! `"error": "invalid_grant" | "interaction_required"` in the hook's body: the client must not
//! depend on it (it reads the AADSTS code, as MSAL reads the suberror).

use super::error::OAuthErr;
use axum::http::StatusCode;

/// Where Entra shows a refusal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Shown {
    /// At `/token` only (the browser sign-in itself succeeds).
    Token,
    /// As the sign-in page, and at `/token` for a refresh or device code poll.
    PageAndToken,
    /// As the sign-in page only (consent prompts).
    Page,
}

/// One refusal Entra can make.
#[derive(Clone, Copy, Debug)]
pub(super) struct Kind {
    pub code: u32,
    pub error: &'static str,
    pub suberror: Option<&'static str>,
    pub text: &'static str,
    pub shown: Shown,
}

/// The refusals the emulator knows.
pub(super) const KINDS: &[Kind] = &[
    // invalid_grant + consent_required: MSAL.NET lists AADSTS65001 as MsalUiRequiredException
    // and names the suberror `consent_required` ("User consent is missing, or has been revoked").
    Kind {
        code: 65001,
        error: "invalid_grant",
        suberror: Some("consent_required"),
        text: "DelegationDoesNotExist - The user or administrator hasn't consented to use the application. Send an interactive authorization request for this user and resource.",
        shown: Shown::Token,
    },
    // Shown on the sign-in page only (an admin-approval prompt): reference-error-codes.md.
    Kind {
        code: 90094,
        error: "invalid_grant",
        suberror: None,
        text: "AdminConsentRequired - Administrator consent is required.",
        shown: Shown::Page,
    },
    // invalid_grant without suberror: undocumented shape; `invalid_grant` is the table's value for
    // authentication material Entra will not honour, and no classification fits (an
    // interactive sign-in cannot fix a missing assignment).
    Kind {
        code: 50105,
        error: "invalid_grant",
        suberror: None,
        text: "EntitlementGrantsNotFound - The signed in user isn't assigned to a role for the signed in app.",
        shown: Shown::PageAndToken,
    },
    // unauthorized_client: the table's value for "the client application isn't registered in
    // Microsoft Entra ID or isn't added to the user's Microsoft Entra tenant".
    Kind {
        code: 700016,
        error: "unauthorized_client",
        suberror: None,
        text: "UnauthorizedClient_DoesNotMatchRequest - The application wasn't found in the directory/tenant.",
        shown: Shown::PageAndToken,
    },
    Kind {
        code: 7000112,
        error: "unauthorized_client",
        suberror: None,
        text: "UnauthorizedClientApplicationDisabled - The application is disabled.",
        shown: Shown::PageAndToken,
    },
    // interaction_required + basic_action: the table's value for "another authentication step
    // is required", and MSAL.NET's suberror for a condition "resolved by user interaction during
    // the interactive authentication flow"; MSAL.NET's doc lists AADSTS50079 as an
    // MsalUiRequiredException. Pairing each code with this error is not documented (see above).
    Kind {
        code: 50076,
        error: "interaction_required",
        suberror: Some("basic_action"),
        text: "UserStrongAuthClientAuthNRequired - Due to a configuration change made by the admin such as a Conditional Access policy, per-user enforcement, or because you moved to a new location, the user must use multifactor authentication to access the resource. Retry with a new authorize request for the resource.",
        shown: Shown::Token,
    },
    Kind {
        code: 50079,
        error: "interaction_required",
        suberror: Some("basic_action"),
        text: "UserStrongAuthEnrollmentRequired - Due to a configuration change made by the admin such as a Conditional Access policy, per-user enforcement, or because the user moved to a new location, the user is required to use multifactor authentication.",
        shown: Shown::Token,
    },
    // invalid_grant without suberror: undocumented shape. A device code flow blocked by the
    // "Authentication flows" condition is this same code: Conditional Access blocks it like any
    // other grant (concept-authentication-flows.md, "Block authentication flows with Conditional
    // Access policy"), and no page documents another code or body for it.
    Kind {
        code: 53003,
        error: "invalid_grant",
        suberror: None,
        text: "BlockedByConditionalAccess - Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.",
        shown: Shown::PageAndToken,
    },
    // invalid_grant + user_password_expired: MSAL.NET's suberror for "User's password has
    // expired. Call AcquireTokenInteractively() so that user can reset their password". The
    // pairing with 50055 is inferred from the two texts, not printed by Microsoft.
    Kind {
        code: 50055,
        error: "invalid_grant",
        suberror: Some("user_password_expired"),
        text: "InvalidPasswordExpiredPassword - The password is expired.",
        shown: Shown::PageAndToken,
    },
    // invalid_grant without suberror: undocumented shape; an interactive sign-in cannot unlock.
    Kind {
        code: 50053,
        error: "invalid_grant",
        suberror: None,
        text: "IdsLocked - The account is locked because the user tried to sign in too many times with an incorrect user ID or password.",
        shown: Shown::PageAndToken,
    },
];

/// The refusal in force: which one, and (optionally) only where.
#[derive(Clone, Debug)]
pub(super) struct Refusal {
    pub kind: Kind,
    /// `authorize`, or a `/token` grant (`authorization_code`, `refresh_token`, `device_code`).
    pub only: Option<String>,
    /// The `error` to answer with instead of the kind's, where Microsoft leaves it open.
    pub error: Option<&'static str>,
}

/// The `error` values a test may pick for a refusal whose shape Microsoft does not document.
pub(super) const UNDOCUMENTED_ERRORS: &[&str] = &["invalid_grant", "interaction_required"];

impl Refusal {
    /// The refusal for `code`, if the emulator knows it.
    pub fn new(code: u32, only: Option<String>) -> Option<Refusal> {
        KINDS.iter().find(|k| k.code == code).map(|k| Refusal {
            kind: *k,
            only,
            error: None,
        })
    }

    fn applies(&self, place: &str) -> bool {
        self.only.as_deref().is_none_or(|o| o == place)
    }

    /// Whether the sign-in page shows this refusal instead of redirecting back.
    pub fn on_page(&self) -> bool {
        self.kind.shown != Shown::Token && self.applies("authorize")
    }

    /// The `/token` error for `grant` (short name: `authorization_code`, `refresh_token`,
    /// `device_code`), if this refusal applies there. A code redeemed after a page refusal
    /// cannot exist, so page-and-token refusals answer refreshes and device code polls.
    pub fn at_token(&self, grant: &str) -> Option<OAuthErr> {
        let shown = match self.kind.shown {
            Shown::Token => true,
            Shown::PageAndToken => grant != "authorization_code" || self.only.is_some(),
            Shown::Page => false,
        };
        (shown && self.applies(grant)).then(|| OAuthErr {
            status: StatusCode::BAD_REQUEST,
            error: self.error.unwrap_or(self.kind.error),
            code: self.kind.code,
            text: self.kind.text.to_string(),
            suberror: self.kind.suberror,
        })
    }
}
