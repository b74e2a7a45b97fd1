"""The company's identity provider: sign-in with OpenID Connect (oidc), provisioning with SCIM 2.0 (scim), and the
group-to-role rule both follow (groups)."""
