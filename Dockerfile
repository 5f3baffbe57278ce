# Installs exactly as the README does (pip install of this project), then runs
# `syncplane server` or `syncplane executor` by the command given:
#   docker run -e SYNCPLANE_SECRET_KEY=... IMAGE server --database-url postgresql://... \
#       --data-store-url postgresql://... --host 0.0.0.0
#   docker run -e SYNCPLANE_EXECUTOR_TOKEN=... -e SYNCPLANE_EGRESS_ALLOW=10.0.0.0/8 IMAGE executor --server host:50051
# The server seals stored secrets with SYNCPLANE_SECRET_KEY, or else with a key file it makes in
# SYNCPLANE_DATA_DIR: without the variable, mount a volume there or the key dies with the container.
# Sources on private or loopback addresses must be allowed (SYNCPLANE_EGRESS_ALLOW) on servers and executors.
FROM python:3.11-slim

# pgserver runs its embedded PostgreSQL as an unprivileged user; so do we.
RUN useradd --create-home --uid 10001 syncplane
WORKDIR /app
COPY pyproject.toml README.md ./
COPY protos ./protos
COPY server ./server
COPY executor ./executor
COPY bench ./bench
RUN pip install --no-cache-dir .

USER syncplane
ENV SYNCPLANE_DATA_DIR=/home/syncplane/data
EXPOSE 50051 8080
ENTRYPOINT ["syncplane"]
CMD ["server", "--host", "0.0.0.0"]
