{{/*
Chart name, truncated to the 63 characters a DNS label allows.
*/}}
{{- define "warmscale.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified app name: the release name, suffixed with the chart name unless the release name already contains it.
Every object of the release is named after it, and the HPA, KEDA query and ServiceMonitor refer to it.
*/}}
{{- define "warmscale.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Chart label value: name-version, with "+" (not allowed in label values) replaced by "_".
*/}}
{{- define "warmscale.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Standard labels (helm.sh/docs/chart_best_practices/labels) for every object of the release.
*/}}
{{- define "warmscale.labels" -}}
helm.sh/chart: {{ include "warmscale.chart" . }}
{{ include "warmscale.selectorLabels" . }}
app.kubernetes.io/version: {{ include "warmscale.imageTag" . | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: warmscale
{{- end }}

{{/*
Selector labels: name and instance only, because Deployment and PodDisruptionBudget selectors are immutable.
*/}}
{{- define "warmscale.selectorLabels" -}}
app.kubernetes.io/name: {{ include "warmscale.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Image tag: image.tag, else the chart's appVersion.
*/}}
{{- define "warmscale.imageTag" -}}
{{- default .Chart.AppVersion .Values.image.tag }}
{{- end }}

{{/*
Container image: <repository>@<digest> when image.digest is set (the tag is then ignored), else <repository>:<tag>.
*/}}
{{- define "warmscale.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (include "warmscale.imageTag" .) }}
{{- end }}
{{- end }}

{{/*
ServiceAccount of the pods: serviceAccount.name, else <fullname> when the chart creates it, else the namespace's default.
*/}}
{{- define "warmscale.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "warmscale.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Name of the HorizontalPodAutoscaler that scales the Deployment: the chart's own, or the one KEDA creates for the
ScaledObject (keda-hpa-<name>). Alerts and the dashboard select kube-state-metrics series by it.
*/}}
{{- define "warmscale.hpaName" -}}
{{- if .Values.keda.enabled }}
{{- printf "keda-hpa-%s" (include "warmscale.fullname" .) }}
{{- else }}
{{- include "warmscale.fullname" . }}
{{- end }}
{{- end }}

{{/*
Label matchers of the release's scraped series: the namespace and service labels the ServiceMonitor's target
relabelling adds (annotation-based discovery in the prometheus-community chart adds the same two).
*/}}
{{- define "warmscale.seriesMatchers" -}}
{{- printf "namespace=%q,service=%q" .Release.Namespace (include "warmscale.fullname" .) }}
{{- end }}

{{/*
Label matchers of the release's pods in kube-state-metrics series: Deployment pods are <fullname>-<hash>-<suffix>.
*/}}
{{- define "warmscale.podMatchers" -}}
{{- printf "namespace=%q,pod=~%q" .Release.Namespace (printf "%s-[a-z0-9]+-[a-z0-9]+" (include "warmscale.fullname" .)) }}
{{- end }}

{{/*
Name of the custom metric the adapter serves and the HPA reads: the counter name with "_total" replaced by "_qps",
which is what the adapter rule's name.as "${1}_qps" produces from name.matches "^(.*)_total$".
*/}}
{{- define "warmscale.qpsMetricName" -}}
{{- printf "%s_qps" (trimSuffix "_total" .Values.metrics.counterName) }}
{{- end }}

{{/*
Seconds in a duration written as a number and one unit (s, m or h), e.g. "15s" or "1m"; the schema admits nothing else.
*/}}
{{- define "warmscale.durationSeconds" -}}
{{- $value := regexFind "^[0-9]+" . | atoi }}
{{- $unit := trimPrefix (regexFind "^[0-9]+" .) . }}
{{- if eq $unit "h" }}{{ mul $value 3600 }}{{ else if eq $unit "m" }}{{ mul $value 60 }}{{ else }}{{ $value }}{{ end }}
{{- end }}

{{/*
startupProbe failureThreshold: enough periods to cover process boot plus the warm-up budget, rounded up.
*/}}
{{- define "warmscale.startupFailureThreshold" -}}
{{- $budget := int .Values.probes.startup.bootSeconds }}
{{- if .Values.warmup.enabled }}
{{- $budget = add $budget (int .Values.warmup.budgetSeconds) }}
{{- end }}
{{- $period := int .Values.probes.startup.periodSeconds }}
{{- div (add $budget (sub $period 1)) $period }}
{{- end }}

{{/*
Pod terminationGracePeriodSeconds: shutdown.terminationGracePeriodSeconds when set (checked in warmscale.validate),
else preStop sleep + the app's shutdown timeout + shutdown.exitMarginSeconds.
*/}}
{{- define "warmscale.terminationGracePeriodSeconds" -}}
{{- $s := .Values.shutdown }}
{{- if kindIs "invalid" $s.terminationGracePeriodSeconds }}
{{- add (int $s.preStopSleepSeconds) (int $s.timeoutSeconds) (int $s.exitMarginSeconds) }}
{{- else }}
{{- int $s.terminationGracePeriodSeconds }}
{{- end }}
{{- end }}

{{/*
The prometheus-adapter rule (one item of the adapter's rules list, or of the chart's rules.custom). It turns the
per-pod counter into a per-pod rate served as a Pods custom metric; see the chart README for how it is rendered.
*/}}
{{- define "warmscale.adapterRule" -}}
- seriesQuery: '{{ .Values.metrics.counterName }}{namespace!="",pod!=""}'
  resources:
    overrides:
      namespace:
        resource: namespace
      pod:
        resource: pod
  name:
    matches: "^(.*)_total$"
    as: "${1}_qps"
  metricsQuery: "sum(rate(<<.Series>>{<<.LabelMatchers>>}[{{ .Values.adapterRule.rateWindow }}])) by (<<.GroupBy>>)"
{{- end }}

{{/*
Values for the prometheus-community/prometheus-adapter chart: the Prometheus it queries, a relist interval no
shorter than the scrape interval (checked in warmscale.validate) and this chart's rule as the only custom rule.
*/}}
{{- define "warmscale.adapterValues" -}}
# prometheus-adapter values generated by the warmscale chart from its adapterRule.* values.
prometheus:
  url: {{ .Values.adapterRule.prometheus.url }}
  port: {{ .Values.adapterRule.prometheus.port }}
# >= the scrape interval ({{ .Values.serviceMonitor.interval }}): series are listed only while they have recent samples.
metricsRelistInterval: {{ .Values.adapterRule.metricsRelistInterval }}
rules:
  # The chart's six generic rules are not needed for this metric; set true if other workloads use them.
  default: false
  # Helm replaces lists when merging values files: keep every app's rule in this one list.
  custom:
    {{- include "warmscale.adapterRule" . | nindent 4 }}
{{- end }}

{{/*
Default KEDA prometheus query: the release's total QPS over the Service's pods. The namespace and service labels are
the ones the ServiceMonitor's target relabelling adds. KEDA divides the result by the replica count (AverageValue).
*/}}
{{- define "warmscale.kedaQuery" -}}
{{- if .Values.keda.query }}
{{- .Values.keda.query }}
{{- else }}
{{- printf "sum(rate(%s{%s}[%s]))" .Values.metrics.counterName (include "warmscale.seriesMatchers" .) .Values.adapterRule.rateWindow }}
{{- end }}
{{- end }}

{{/*
Cross-field rules the schema cannot express. Included by the Deployment, so every render runs them.
*/}}
{{- define "warmscale.validate" -}}
{{- $a := .Values.autoscaling }}
{{- if and $a.enabled .Values.keda.enabled }}
{{- fail "autoscaling.enabled and keda.enabled are mutually exclusive: KEDA creates its own HPA (keda-hpa-<name>) for the same Deployment. Set autoscaling.enabled=false to scale with KEDA." }}
{{- end }}
{{- if lt (int $a.maxReplicas) (int $a.minReplicas) }}
{{- fail (printf "autoscaling.maxReplicas must be >= autoscaling.minReplicas (got %d < %d)" (int $a.maxReplicas) (int $a.minReplicas)) }}
{{- end }}
{{- $requests := default dict .Values.resources.requests }}
{{- if and $a.cpu.enabled (not (hasKey $requests "cpu")) }}
{{- fail "autoscaling.cpu.enabled requires resources.requests.cpu: CPU Utilization is a percentage of the request, and an HPA on CPU without a CPU request never scales." }}
{{- end }}
{{- if and $a.memory.enabled (not (hasKey $requests "memory")) }}
{{- fail "autoscaling.memory.enabled requires resources.requests.memory: memory Utilization is a percentage of the request, and an HPA on memory without a memory request never scales." }}
{{- end }}
{{- $s := .Values.shutdown }}
{{- $delayAndDrain := add (int $s.delaySeconds) (int $s.drainTimeoutSeconds) }}
{{- if lt (int $s.timeoutSeconds) $delayAndDrain }}
{{- fail (printf "shutdown.timeoutSeconds must be >= shutdown.delaySeconds + shutdown.drainTimeoutSeconds (got %d < %d + %d)" (int $s.timeoutSeconds) (int $s.delaySeconds) (int $s.drainTimeoutSeconds)) }}
{{- end }}
{{- if not (kindIs "invalid" $s.terminationGracePeriodSeconds) }}
{{- $needed := add (int $s.preStopSleepSeconds) (int $s.timeoutSeconds) }}
{{- if le (int $s.terminationGracePeriodSeconds) $needed }}
{{- fail (printf "shutdown.terminationGracePeriodSeconds must be > shutdown.preStopSleepSeconds + shutdown.timeoutSeconds (got %d <= %d + %d); leave it null to derive it" (int $s.terminationGracePeriodSeconds) (int $s.preStopSleepSeconds) (int $s.timeoutSeconds)) }}
{{- end }}
{{- end }}
{{- if and .Values.keda.enabled .Values.keda.fallback.enabled (or $a.cpu.enabled $a.memory.enabled) }}
{{- fail "keda.fallback.enabled cannot be combined with autoscaling.cpu or autoscaling.memory: KEDA refuses a fallback on a ScaledObject with cpu or memory triggers. Set keda.fallback.enabled=false; ignoreNullValues \"false\" still turns a Prometheus outage into a failed metric, on which the HPA never scales in." }}
{{- end }}
{{- if and (gt (int .Values.admission.slowStartSeconds) 0) (eq (int .Values.admission.maxInFlight) 0) }}
{{- fail (printf "admission.slowStartSeconds (%d) needs admission.maxInFlight > 0: slow start ramps that cap" (int .Values.admission.slowStartSeconds)) }}
{{- end }}
{{- if and .Values.keda.enabled .Values.keda.fallback.enabled (not (kindIs "invalid" .Values.keda.fallback.replicas)) }}
{{- if gt (int .Values.keda.fallback.replicas) (int $a.maxReplicas) }}
{{- fail (printf "keda.fallback.replicas must be <= autoscaling.maxReplicas (got %d > %d)" (int .Values.keda.fallback.replicas) (int $a.maxReplicas)) }}
{{- end }}
{{- end }}
{{- $window := include "warmscale.durationSeconds" .Values.adapterRule.rateWindow | int }}
{{- $interval := include "warmscale.durationSeconds" .Values.serviceMonitor.interval | int }}
{{- if lt $window (mul 4 $interval) }}
{{- fail (printf "adapterRule.rateWindow must be >= 4 x serviceMonitor.interval so rate() always has enough samples (got %s = %ds < 4 x %s = %ds)" .Values.adapterRule.rateWindow $window .Values.serviceMonitor.interval (mul 4 $interval)) }}
{{- end }}
{{- $relist := include "warmscale.durationSeconds" .Values.adapterRule.metricsRelistInterval | int }}
{{- if and .Values.adapterRule.enabled (lt $relist $interval) }}
{{- fail (printf "adapterRule.metricsRelistInterval must be >= serviceMonitor.interval, or series vanish from the adapter between scrapes (got %s = %ds < %s = %ds)" .Values.adapterRule.metricsRelistInterval $relist .Values.serviceMonitor.interval $interval) }}
{{- end }}
{{- end }}
