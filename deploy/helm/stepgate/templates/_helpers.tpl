{{- define "stepgate.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "stepgate.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "stepgate.selectorLabels" -}}
app.kubernetes.io/name: {{ include "stepgate.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "stepgate.labels" -}}
{{ include "stepgate.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "stepgate.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "stepgate.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "stepgate.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ $tag }}
{{- end -}}
{{- end -}}

{{/* Configuration errors fail the install with a message naming the value. */}}
{{- define "stepgate.validate" -}}
{{- if not .Values.publicURL -}}
{{- fail "publicURL is required: the App's external URL (STEPGATE_PUBLIC_URL)" -}}
{{- end -}}
{{- if not .Values.github.appID -}}
{{- fail "github.appID is required (STEPGATE_GITHUB_APP_ID)" -}}
{{- end -}}
{{- if not .Values.github.existingSecret -}}
{{- fail "github.existingSecret is required: a Secret holding the App's private key and webhook secret" -}}
{{- end -}}
{{- if eq .Values.store.type "bolt" -}}
{{- if gt (int .Values.replicaCount) 1 -}}
{{- fail "store.type bolt is one file on one volume: set replicaCount 1, or use store.type dynamodb for several replicas" -}}
{{- end -}}
{{- if not .Values.store.bolt.existingClaim -}}
{{- fail "store.type bolt needs store.bolt.existingClaim (a PersistentVolumeClaim); without one every restart loses pending requests" -}}
{{- end -}}
{{- else if not .Values.store.dynamodb.table -}}
{{- fail "store.dynamodb.table is required with store.type dynamodb" -}}
{{- end -}}
{{- end -}}
