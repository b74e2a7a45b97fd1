"""scim2-tester's compliance checks (RFC 7643 and 7644) against /scim/v2, through scim2-client's WSGI engine: the
app's own request handling, without a network.

The tester learns the resources from what the academy publishes (/ServiceProviderConfig, /ResourceTypes, /Schemas),
then creates, reads, lists, filters attributes, replaces, patches (add, replace, remove every writable attribute)
and deletes Users and Groups, and probes the errors. Every check it runs must succeed.

One thing it cannot know: it fills a string with a random UUID unless the attribute's schema offers example values
(canonicalValues), and a userName here must be an e-mail address, which RFC 7643 §4.1.1 leaves the service provider
to decide. So the client is given the published schemas with e-mail addresses as the userName's examples, and
nothing else changed; `test_without_email_examples_the_tester_sends_user_names_the_academy_refuses` shows the
tester's own choice failing, for that reason alone. It also asks for POST /.search across every resource type,
which the RFC makes optional and the academy answers 501 (it searches /Users/.search and /Groups/.search): the
tester reports that check as skipped, by its own rule, and the test holds it to exactly those two.
"""

import random

import pytest
from scim2_client.engines.wsgi import WSGISCIMClient
from scim2_models import ResourceType, Schema, ScimProvider, ServiceProviderConfig
from scim2_tester import Status, check_server

from tests import scim_factory

app, token = scim_factory.app, scim_factory.token  # the fixtures
BASE = "http://localhost/scim/v2"
SKIPPED_BY_DESIGN = "POST /.search: searching several resource types at once is not supported by the server"


def client_for(app, token: str, provider: ScimProvider | None = None) -> WSGISCIMClient:
    return WSGISCIMClient(app, base_url=BASE, headers={"Authorization": f"Bearer {token}"}, provider=provider)


def published_with_email_examples(app, token: str) -> ScimProvider:
    """What /scim/v2 publishes about itself, read through the client, with e-mail addresses as userName examples."""
    probe = client_for(app, token)
    schemas = probe.query(Schema).resources
    for schema in schemas:
        if schema.id == scim_factory.USER:
            schema["userName"].canonical_values = [f"person{i}@example.com" for i in range(1000)]
    return ScimProvider.from_discovery(schemas, probe.query(ResourceType).resources, probe.query(ServiceProviderConfig))


def failures(results) -> list[str]:
    return [
        f"{r.resource_type or '-'} {r.title}: {r.status.name} {r.reason}"
        for r in results
        if r.status != Status.SUCCESS and not (r.status == Status.SKIPPED and r.reason == SKIPPED_BY_DESIGN)
    ]


def test_every_check_the_tester_runs_succeeds_for_users_and_groups(app, token):
    random.seed(7243)  # the tester's random values: the same requests on every run
    results = check_server(client_for(app, token, published_with_email_examples(app, token)))

    assert failures(results) == []
    ran = {(r.resource_type, r.title) for r in results if r.status == Status.SUCCESS}
    for resource_type in ("User", "Group"):
        for check in (
            "object_creation",
            "object_query",
            "object_query_without_id",
            "object_query_with_attributes",
            "object_list_with_attributes",
            "object_replacement",
            "object_deletion",
            "check_add_attribute",
            "check_remove_attribute",
            "check_replace_attribute",
        ):
            assert (resource_type, check) in ran, (resource_type, check)
    for check in (
        "query_all_schemas",
        "access_schema_by_id",
        "access_invalid_schema",
        "query_all_resource_types",
        "query_resource_type_by_id",
        "access_invalid_resource_type",
        "service_provider_config_endpoint",
        "schemas_endpoint_methods",
        "resource_types_endpoint_methods",
        "random_url",
    ):
        assert (None, check) in ran, check
    skipped = [(r.resource_type, r.title) for r in results if r.status == Status.SKIPPED]
    assert skipped == [("User", "search_with_attributes"), ("Group", "search_with_attributes")]


@pytest.mark.parametrize("resource_type", ["User", "Group"])
def test_the_checks_hold_for_each_resource_type_alone(app, token, resource_type):
    """A second run, resource type by resource type, with other random values."""
    random.seed(resource_type)
    results = check_server(
        client_for(app, token, published_with_email_examples(app, token)), resource_types=[resource_type]
    )

    assert failures(results) == []
    assert {r.resource_type for r in results} == {None, resource_type}


def test_without_email_examples_the_tester_sends_user_names_the_academy_refuses(app, token):
    """The tester's own mistake, kept in sight: a random UUID as userName, which the academy refuses."""
    random.seed(1)
    results = check_server(client_for(app, token), resource_types=["User"], include_tags={"crud:create"})

    created = [r for r in results if r.title == "object_creation"]
    assert [r.status for r in created] == [Status.ERROR]
    assert "userName must be the person's e-mail address" in created[0].reason
