//! Conditional Access policies (step 7: does the tenant require MFA?).

use crate::models::ConditionalAccessPolicy;
use crate::{GraphClient, GraphError, GraphPath};

/// `/identity/conditionalAccess/policies`.
pub fn policies_path() -> GraphPath {
    GraphPath::v1().seg("identity/conditionalAccess/policies")
}

/// `GET /identity/conditionalAccess/policies`: every policy (needs Security Reader, Global
/// Reader or a Conditional Access role).
pub async fn policies(graph: &GraphClient) -> Result<Vec<ConditionalAccessPolicy>, GraphError> {
    graph.list_at(&policies_path()).await
}
