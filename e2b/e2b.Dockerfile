# The Airlock worker template for E2B: a JRE and the worker bridge. Build it with ./build.sh (see README.md).
FROM e2bdev/base

USER root
RUN apt-get update \
 && apt-get install -y --no-install-recommends openjdk-17-jre-headless iproute2 \
 && rm -rf /var/lib/apt/lists/*

# The bridge and what it runs on: airlock-cloud, airlock-core and their runtime dependencies (copied by build.sh).
COPY lib/ /opt/airlock/lib/
RUN chmod -R a+rX /opt/airlock

USER user
RUN mkdir -p /home/user/airlock
