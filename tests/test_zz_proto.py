import importlib
for _m in ("anthropic", "httpx2", "requests", "httpx", "vcr.patch", "pytest_claude_contract._recorder"):
    importlib.import_module(_m)
import pytest
from fake_api import FakeClaudeAPI

def test_proto(suite: pytest.Pytester, api: FakeClaudeAPI, api_key: str) -> None:
    suite.makepyfile('''
import os, json, pytest, httpx, anthropic
URL = os.environ["FAKE_API_URL"] + "/v1/messages"
BODY = json.dumps({"model": "claude-sonnet-4-6", "max_tokens": 16, "messages": [{"role": "user", "content": "Hi"}]})

@pytest.mark.claude_contract(cassette=False)
def test_broken():
    r = httpx.post(URL, content=BODY, headers={"anthropic-version": "2023-06-01", "content-type": "application/json"})
    assert r.status_code == 200

@pytest.mark.claude_contract(cassette=False)
def test_sdk(claude_contract):
    c = anthropic.Anthropic(max_retries=0)
    m = c.messages.create(model="claude-sonnet-4-6", max_tokens=16, messages=[{"role": "user", "content": "Hi"}])
    print(claude_contract.exchanges[0].request.headers)

@pytest.mark.claude_contract(cassette=False)
def test_big():
    c = anthropic.Anthropic(max_retries=0)
    m = c.messages.create(model="claude-sonnet-4-6", max_tokens=16, messages=[{"role": "user", "content": "x" * 33_000_000}])
''')
    r = suite.runpytest("-rA")
    print(r.stdout.str())
    print([x.path for x in api.requests])
