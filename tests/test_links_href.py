"""Links people type (lab evidence) go into an href as valid URLs: what browsers forgive and the HTML standard does
not (a quote, <, >, a space, a stray %) is percent-encoded; a valid address is left as it is."""

import pytest

from academy.links import href


@pytest.mark.parametrize(
    "url",
    [
        "https://git.example.com/tess/labs/-/merge_requests/1",
        "https://grafana.example.com/d/abc?orgId=1&from=now-6h&to=now#panel-2",
        "https://example.com/search?q=a%20b",
        "http://[::1]:9090/graph?g0.expr=up",
        "https://example.com/wiki/Page_(disambiguation)",
    ],
)
def test_a_valid_address_is_unchanged(url):
    assert href(url) == url


@pytest.mark.parametrize(
    ("typed", "valid"),
    [
        ('https://example.com/"><img src=x>', "https://example.com/%22%3E%3Cimg%20src=x%3E"),
        ("https://example.com/?q=</a><script>", "https://example.com/?q=%3C/a%3E%3Cscript%3E"),
        ('https://example.com/#"onmouseover="x', "https://example.com/#%22onmouseover=%22x"),
        ("https://example.com/50%", "https://example.com/50%25"),
        ("https://example.com/a#b#c", "https://example.com/a#b%23c"),
        ("https://example.com/café", "https://example.com/caf%C3%A9"),
    ],
)
def test_characters_a_url_may_not_hold_are_encoded(typed, valid):
    assert href(typed) == valid


def test_evidence_links_are_written_with_valid_hrefs(app, people):
    from academy.models import LabAttempt, utcnow
    from tests.conftest import sign_in

    trainee = people.user("tess@example.com", "trainee")
    people.cohort(trainees=[trainee])
    with people.session() as s:
        s.add(
            LabAttempt(
                trainee_id=trainee.id,
                module_id="linux-shell",
                lab_id="linux-shell-lab",
                number=1,
                evidence="done",
                links='["https://example.com/\\"><b>x"]',
                request_key="k1",
                submitted_at=utcnow(),
            )
        )
        s.commit()
    client = app.test_client()
    sign_in(client, "tess@example.com")
    html = client.get("/modules/linux-shell").get_data(as_text=True)
    assert 'href="https://example.com/%22%3E%3Cb%3Ex"' in html
    assert "https://example.com/&#34;&gt;&lt;b&gt;x</a>" in html  # the text as typed, escaped
