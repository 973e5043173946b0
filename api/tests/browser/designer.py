"""End-to-end test of the designers' page in headless Chromium, against a real `tupu serve`.

A designer opens the page, finds a knowledge point by its Chinese name, tries to add a
prerequisite that would close a cycle, sees the finding and cannot commit it, proposes a valid
edit as a draft; a reviewer approves it; it shows in the history; reverting it restores the
graph. Usage: designer.py PATH-TO-tupu-BINARY
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

from playwright.sync_api import expect, sync_playwright

CHROMIUM = os.environ.get("TUPU_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(base, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def sparql(base, query):
    url = base + "/sparql?query=" + urllib.parse.quote(query)
    request = urllib.request.Request(url, headers={"accept": "application/sparql-results+json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["results"]["bindings"]


def triples_of(base, iri):
    rows = sparql(base, f"SELECT ?g ?p ?o WHERE {{ GRAPH ?g {{ <{iri}> ?p ?o }} }}")
    return sorted((r["g"]["value"], r["p"]["value"], json.dumps(r["o"], sort_keys=True)) for r in rows)


def main():
    binary = sys.argv[1]
    data = tempfile.mkdtemp(prefix="tupu-e2e-")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([binary, "serve", "--data", data, "--addr", f"127.0.0.1:{port}"])
    try:
        for _ in range(600):
            try:
                http(base, "/health")
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise SystemExit("the server did not start")

        # A knowledge point with a Chinese name that another point requires.
        row = sparql(base, """PREFIX tupu: <https://w3id.org/tupu/ns#>
            PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
            SELECT ?x ?y ?name WHERE { ?y tupu:requires ?x . ?x a tupu:KnowledgePoint ;
              skos:prefLabel ?name FILTER(lang(?name) = "zh") } ORDER BY ?x LIMIT 1""")[0]
        point, dependent, name = row["x"]["value"], row["y"]["value"], row["name"]["value"]
        before = triples_of(base, point)
        version = http(base, "/health")["snapshot_version"]

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
            page = browser.new_page()
            page.goto(base + "/")

            # Find the point by its Chinese name.
            page.get_by_test_id("search").fill(name)
            page.locator(f'[data-testid="result"][data-id="{point}"]').click()
            expect(page.get_by_test_id("node-title")).to_contain_text(name)

            # A prerequisite that closes a cycle: the finding shows and nothing is committed.
            page.get_by_test_id("rel-name").select_option("requires")
            page.get_by_test_id("rel-target").fill(dependent)
            page.get_by_test_id("add-rel").click()
            expect(page.get_by_test_id("pending")).to_contain_text("requires")
            page.get_by_test_id("commit").click()
            expect(page.get_by_test_id("refused")).to_be_visible()
            expect(page.locator('[data-testid="finding"][data-code="prerequisite_cycle"]').first).to_be_visible()
            assert http(base, "/health")["snapshot_version"] == version, "a refused edit changed the graph"
            assert triples_of(base, point) == before

            # A valid edit, proposed as a draft.
            page.get_by_test_id("clear").click()
            page.locator("#label-lang").select_option("en")
            page.get_by_test_id("label-text").fill("Renamed on the page")
            page.get_by_test_id("add-label").click()
            page.get_by_test_id("message").fill("English name from the page")
            page.get_by_test_id("propose").click()
            expect(page.get_by_test_id("proposed")).to_be_visible()
            assert http(base, "/health")["snapshot_version"] == version, "a draft changed the graph"

            # A reviewer approves it.
            page.get_by_test_id("who").fill("reviewer")
            page.locator('[data-testid="draft-item"][data-status="open"]').first.click()
            expect(page.get_by_test_id("draft")).to_contain_text("Renamed on the page")
            page.get_by_test_id("approve").click()
            expect(page.locator('[data-testid="draft-item"][data-status="approved"]')).to_have_count(1)
            assert http(base, "/health")["snapshot_version"] == version + 1
            assert triples_of(base, point) != before

            # It shows in the history; reverting it restores the graph.
            page.get_by_test_id("reload-history").click()
            item = page.locator('[data-testid="history-item"]').first
            expect(item).to_contain_text("English name from the page")
            item.click()
            expect(page.get_by_test_id("commit-view")).to_contain_text("Renamed on the page")
            page.get_by_test_id("revert").click()
            expect(page.get_by_test_id("reverted")).to_be_visible()
            assert triples_of(base, point) == before, "the revert did not restore the node"
            browser.close()
        print("browser test passed: find, refused cycle, draft, approval, history, revert")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
