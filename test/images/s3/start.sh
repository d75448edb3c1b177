#!/bin/sh
# moto_server on loopback, nginx (TLS) in front of it in the foreground; either exiting ends the container.
set -eu
moto_server -H 127.0.0.1 -p 5000 &
exec nginx -c /etc/s3/nginx.conf
