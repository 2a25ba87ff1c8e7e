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
  metricsQuery: 'sum(rate(<<.Series>>{<<.LabelMatchers>>}[{{ .Values.adapterRule.rateWindow }}])) by (<<.GroupBy>>)'
{{- end }}

{{/*
Default KEDA prometheus query: the release's total QPS over the Service's pods. The namespace and service labels are
the ones the ServiceMonitor's target relabelling adds. KEDA divides the result by the replica count (AverageValue).
*/}}
{{- define "warmscale.kedaQuery" -}}
{{- if .Values.keda.query }}
{{- .Values.keda.query }}
{{- else }}
{{- printf "sum(rate(%s{namespace=%q,service=%q}[%s]))" .Values.metrics.counterName .Release.Namespace (include "warmscale.fullname" .) .Values.adapterRule.rateWindow }}
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
{{- $window := include "warmscale.durationSeconds" .Values.adapterRule.rateWindow | int }}
{{- $interval := include "warmscale.durationSeconds" .Values.serviceMonitor.interval | int }}
{{- if lt $window (mul 4 $interval) }}
{{- fail (printf "adapterRule.rateWindow must be >= 4 x serviceMonitor.interval so rate() always has enough samples (got %s = %ds < 4 x %s = %ds)" .Values.adapterRule.rateWindow $window .Values.serviceMonitor.interval (mul 4 $interval)) }}
{{- end }}
{{- end }}
