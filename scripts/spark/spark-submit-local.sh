#!/usr/bin/env bash
# spark-submit without a Spark distribution: runs Spark's own SparkSubmit from the Spark jars Maven resolved for
# depthwise-spark (what bin/spark-submit of a distribution ends up running), with the JVM flags Spark's launcher
# adds. For trying the jobs on one machine; on a cluster use the cluster's spark-submit with the same arguments.
#   scripts/spark/spark-submit-local.sh --master 'local[2]' --class dev.depthwise.spark.SparkMain \
#       depthwise-spark/target/depthwise-spark.jar segment --checkpoint ... --input ... --output ...
# (SPARK_LOCAL_IP=127.0.0.1 keeps a local-cluster's executors on the loopback address.)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cp_file="$root/depthwise-spark/target/spark-classpath.txt"
if [ ! -f "$root/depthwise-spark/target/depthwise-spark.jar" ] || [ ! -f "$cp_file" ]; then
  # Spark's own jars are depthwise-spark's provided dependencies; the module comes last, so its list stays.
  (cd "$root" && mvn -q -B -DskipTests package dependency:build-classpath -pl depthwise-spark -am \
     -Dmdep.includeScope=provided -Dmdep.outputFile="$cp_file") >&2
fi
# --master 'local-cluster[N,CORES,MB]' starts N executor JVMs from $SPARK_HOME/jars: without a distribution, a
# stand-in folder of links to the same jars.
if [ -z "${SPARK_HOME:-}" ]; then
  export SPARK_HOME="$root/depthwise-spark/target/spark-submit-home"
  rm -rf "$SPARK_HOME/jars" && mkdir -p "$SPARK_HOME/jars"
  tr ':' '\n' < "$cp_file" | grep '\.jar$' | while read -r jar; do ln -sf "$jar" "$SPARK_HOME/jars/"; done
fi
export SPARK_SCALA_VERSION="${SPARK_SCALA_VERSION:-2.13}"
opens=""
for p in java.lang java.lang.invoke java.lang.reflect java.io java.net java.nio java.util java.util.concurrent \
         java.util.concurrent.atomic jdk.internal.ref sun.nio.ch sun.nio.cs sun.security.action sun.util.calendar; do
  opens="$opens --add-opens=java.base/$p=ALL-UNNAMED"
done
exec java --add-modules jdk.incubator.vector -XX:+IgnoreUnrecognizedVMOptions $opens \
  --add-opens=java.security.jgss/sun.security.krb5=ALL-UNNAMED -Djdk.reflect.useDirectMethodHandle=false \
  -Dio.netty.tryReflectionSetAccessible=true ${SPARK_DRIVER_JAVA_OPTS:-} \
  -cp "$(cat "$cp_file")" org.apache.spark.deploy.SparkSubmit "$@"
