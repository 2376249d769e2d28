# The Timebank Ledger image: the `timebank` console script and nothing else.
# Build: docker build -t timebank-ledger .   Configure with environment variables only
# (TIMEBANK_DATABASE_URL, TIMEBANK_ADMIN_KEY, TIMEBANK_SIGNING_KEY, TIMEBANK_LOG_LEVEL).

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY domain ./domain
COPY ledger ./ledger
COPY projections ./projections
COPY api ./api
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels \
    && useradd --system --uid 10001 --home-dir /app --create-home timebank
# Runs unprivileged; var/ (the SQLite default and a generated signing key) is its only
# writable state, and with PostgreSQL and a mounted signing key it holds nothing at all.
WORKDIR /app
USER timebank
EXPOSE 8000
CMD ["timebank", "serve", "--host", "0.0.0.0", "--port", "8000"]
