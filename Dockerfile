# Installs exactly as the README does (pip install of this project), then runs
# `syncplane server` or `syncplane executor` by the command given:
#   docker run -e SYNCPLANE_SECRET_KEY=... IMAGE server --database-url postgresql://... \
#       --data-store-url postgresql://... --host 0.0.0.0
#   docker run -e SYNCPLANE_EXECUTOR_TOKEN=... -e SYNCPLANE_EGRESS_ALLOW=10.0.0.0/8 IMAGE executor --server host:50051
# The server seals stored secrets with SYNCPLANE_SECRET_KEY, or else with a key file it makes in
# SYNCPLANE_DATA_DIR: without the variable, mount a volume there or the key dies with the container.
# Sources on private or loopback addresses must be allowed (SYNCPLANE_EGRESS_ALLOW) on servers and executors.
#
# The database: SYNCPLANE_DATABASE_URL (control plane, or --database-url) and SYNCPLANE_DATA_STORE_URL
# (where synced data lands; the control-plane database unless set), both postgresql:// URLs; a server
# whose database is not up yet retries for SYNCPLANE_DATABASE_WAIT_SECONDS (120) with /readyz at 503.
# Every other variable: the settings table in README.md. deploy/ has a compose file and Kubernetes
# manifests built on this image.
FROM python:3.11-slim

# pgserver runs its embedded PostgreSQL as an unprivileged user; so do we.
RUN useradd --create-home --uid 10001 syncplane
WORKDIR /app
COPY pyproject.toml setup.py README.md ./
COPY protos ./protos
COPY server ./server
COPY executor ./executor
# Optional extras for the execution backends' workers, e.g. --build-arg EXTRAS=temporal (the
# `syncplane temporal-worker` command) or EXTRAS=temporal,prefect; none by default.
ARG EXTRAS=""
RUN pip install --no-cache-dir ".${EXTRAS:+[$EXTRAS]}"

USER syncplane
ENV SYNCPLANE_DATA_DIR=/home/syncplane/data
EXPOSE 50051 8080
# Liveness of a server (GET /healthz on its HTTP port; SYNCPLANE_HEALTHCHECK_URL to change it). An
# executor has no port: disable the check for executor containers (deploy/docker-compose.yml does).
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os,urllib.request;urllib.request.urlopen(os.environ.get('SYNCPLANE_HEALTHCHECK_URL','http://127.0.0.1:8080/healthz'),timeout=4)"]
ENTRYPOINT ["syncplane"]
CMD ["server", "--host", "0.0.0.0"]
