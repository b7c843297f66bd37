// deploy/kubernetes, checked offline: every manifest against the Kubernetes API schemas
// (kubernetes-models' validators, generated from Kubernetes' OpenAPI), then what a schema cannot
// see: the references between manifests, probes and stop timings against the service's own, and a
// Secret template that cannot start the service as it stands.
import { readdirSync, readFileSync } from "node:fs";
import { Deployment } from "kubernetes-models/apps/v1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { Job } from "kubernetes-models/batch/v1";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { ConfigMap, Namespace, Secret, Service } from "kubernetes-models/v1";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { ConfigError, loadConfig, SETTINGS } from "../../../src/config.js";

const root = new URL("../../../", import.meta.url);
const dir = new URL("deploy/kubernetes/", root);
const read = (url: URL) => readFileSync(url, "utf8");

/** The Kubernetes kinds the manifests may hold, each with its schema's validator. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  "apps/v1/Deployment": Deployment,
  "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler,
  "batch/v1/Job": Job,
  "networking.k8s.io/v1/NetworkPolicy": NetworkPolicy,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "v1/ConfigMap": ConfigMap,
  "v1/Namespace": Namespace,
  "v1/Secret": Secret,
  "v1/Service": Service,
};

type Labels = Record<string, string>;
interface Container {
  name: string;
  image: string;
  args?: string[];
  ports?: Array<{ name?: string; containerPort: number }>;
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  startupProbe?: Probe;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: {
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    capabilities?: { drop?: string[] };
  };
}
interface Probe {
  httpGet?: { path: string; port: string | number };
}
interface PodSpec {
  terminationGracePeriodSeconds?: number;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; seccompProfile?: { type: string } };
  initContainers?: Container[];
  containers: Container[];
}
interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Labels };
  // Each kind's own shape; the tests below read the parts they check.
  spec?: {
    selector?: { matchLabels?: Labels } & Labels;
    template?: { metadata: { labels: Labels }; spec: PodSpec };
    scaleTargetRef?: { apiVersion: string; kind: string; name: string };
    minReplicas?: number;
    maxReplicas?: number;
    metrics?: Array<{ type: string; resource?: { name: string } }>;
    ports?: Array<{ targetPort: string | number }>;
    podSelector?: { matchLabels?: Labels };
    policyTypes?: string[];
    ingress?: Array<{ from?: Array<Record<string, unknown>>; ports?: Array<{ port: string | number }> }>;
    egress?: Array<{ to?: Array<Record<string, unknown>>; ports?: Array<{ port: string | number }> }>;
  };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  file: string;
}

const kustomization = readDocs("kustomization.yaml")[0] as unknown as {
  resources: string[];
  images: Array<{ name: string; newName?: string; newTag?: string }>;
};
const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f) && f !== "kustomization.yaml");
const manifests: Manifest[] = files.flatMap((file) =>
  readDocs(file).map((doc) => ({ ...doc, file }) as Manifest),
);

function readDocs(file: string): Array<Record<string, unknown>> {
  return parseAllDocuments(read(new URL(file, dir))).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join("; ")}`);
    return doc.toJS() as Record<string, unknown>;
  });
}

const one = (kind: string, name: string): Manifest => {
  const found = manifests.filter((m) => m.kind === kind && m.metadata.name === name);
  expect(found, `${kind} ${name}`).toHaveLength(1);
  return found[0]!;
};
const deployments = () => manifests.filter((m) => m.kind === "Deployment");
const podSpecs = () =>
  manifests.filter((m) => m.spec?.template).map((m) => ({ m, pod: m.spec!.template!.spec }));
const allContainers = () =>
  podSpecs().flatMap(({ pod }) => [...(pod.initContainers ?? []), ...pod.containers]);
const selects = (selector: Labels, labels: Labels) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

describe("deploy/kubernetes manifests", () => {
  it("are all listed in kustomization.yaml, and it lists nothing else", () => {
    expect([...kustomization.resources].sort()).toEqual([...files].sort());
  });

  it("are each valid against the Kubernetes schema of their kind", () => {
    expect(manifests.length).toBeGreaterThanOrEqual(10);
    for (const m of manifests) {
      const { file, ...doc } = m;
      const Model = MODELS[`${m.apiVersion}/${m.kind}`];
      expect(Model, `${file}: ${m.apiVersion} ${m.kind} is not an expected kind`).toBeDefined();
      expect(
        () => new Model!(doc as never).validate(),
        `${file}: ${m.kind} ${m.metadata.name}`,
      ).not.toThrow();
    }
  });

  it("would catch a manifest that breaks its schema (the validators run)", () => {
    const api = one("Deployment", "payzero-notify-api");
    const broken = structuredClone(api) as Manifest;
    broken.spec!.template!.spec.containers[0]!.ports![0]!.containerPort = "3000" as unknown as number;
    const { file: _file, ...doc } = broken;
    expect(() => new Deployment(doc as never).validate()).toThrow(/containerPort must be integer/);
  });

  it("select their own pods: Deployments, the Service (api only), the budgets, the autoscaler", () => {
    const api = one("Deployment", "payzero-notify-api");
    const worker = one("Deployment", "payzero-notify-worker");
    for (const d of [api, worker])
      expect(selects(d.spec!.selector!.matchLabels!, d.spec!.template!.metadata.labels)).toBe(true);
    const podLabels = (d: Manifest) => d.spec!.template!.metadata.labels;
    const service = one("Service", "payzero-notify");
    const serviceSelector = service.spec!.selector as Labels;
    expect(selects(serviceSelector, podLabels(api))).toBe(true);
    expect(selects(serviceSelector, podLabels(worker))).toBe(false);
    expect(service.spec!.ports![0]!.targetPort).toBe("http");
    const admin = one("Service", "payzero-notify-admin");
    expect(selects(admin.spec!.selector as Labels, podLabels(api))).toBe(true);
    expect(admin.spec!.ports!.map((p) => p.targetPort)).toEqual(["admin"]);
    for (const [name, target] of [
      ["payzero-notify-api", api],
      ["payzero-notify-worker", worker],
    ] as const) {
      const pdb = one("PodDisruptionBudget", name);
      const selected = deployments().filter((d) => selects(pdb.spec!.selector!.matchLabels!, podLabels(d)));
      expect(selected.map((d) => d.metadata.name)).toEqual([target.metadata.name]);
    }
    const hpa = one("HorizontalPodAutoscaler", "payzero-notify-worker");
    expect(hpa.spec!.scaleTargetRef).toEqual({
      apiVersion: "apps/v1",
      kind: "Deployment",
      name: worker.metadata.name,
    });
    expect(hpa.spec!.metrics?.map((m) => m.resource?.name)).toEqual(["cpu"]);
    expect(hpa.spec!.minReplicas).toBeGreaterThanOrEqual(2);
    // A count in the Deployment would undo the autoscaler's on every apply.
    expect(worker.spec).not.toHaveProperty("replicas");
  });

  it("read settings only from the ConfigMap and Secret that exist, with keys the service knows", () => {
    const names = new Set(
      manifests.filter((m) => m.kind === "ConfigMap" || m.kind === "Secret").map((m) => m.metadata.name),
    );
    for (const c of allContainers())
      for (const from of c.envFrom ?? [])
        expect(names).toContain(from.configMapRef?.name ?? from.secretRef?.name);
    // .env.example lists every setting (npm run docs:config writes it from SETTINGS; test/unit/config-docs.test.ts).
    const envExample = read(new URL(".env.example", root));
    const settings = new Set([...envExample.matchAll(/^(?:# )?([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]));
    const keys = [
      ...Object.keys(one("ConfigMap", "payzero-notify-config").data ?? {}),
      ...Object.keys(one("Secret", "payzero-notify-secrets").stringData ?? {}),
    ];
    expect(keys.filter((k) => !settings.has(k))).toEqual([]);
  });

  it("ship a Secret template the service refuses until its tokens are replaced", () => {
    const env = {
      ...one("ConfigMap", "payzero-notify-config").data,
      ...one("Secret", "payzero-notify-secrets").stringData,
    };
    // Every setting a Deployment's role requires is in the ConfigMap or the Secret.
    const required = Object.entries(SETTINGS)
      .filter(([, s]) => s.required?.by.some((r) => r === "api" || r === "worker"))
      .map(([name]) => name);
    expect(required.filter((name) => !(name in env))).toEqual([]);
    // Each Deployment's role, as its container starts it: the role decides what is required.
    for (const role of ["api", "worker"] as const) {
      let refused: unknown;
      try {
        loadConfig(env, role);
      } catch (err) {
        refused = err;
      }
      expect(refused).toBeInstanceOf(ConfigError);
      const problems = (refused as ConfigError).problems.join("\n");
      for (const token of [
        "PAYZERO_SIGN_TOKEN",
        "ADMIN_TOKEN",
        "METRICS_TOKEN",
        "ENCRYPTION_KEYS",
        "DATABASE_URL",
        "REDIS_URL",
      ])
        expect(problems).toMatch(token);
      // With real values, every other value of the ConfigMap and the Secret is a valid setting.
      const config = loadConfig(
        {
          ...env,
          PAYZERO_SIGN_TOKEN: "a-real-sign-token",
          ADMIN_TOKEN: "an-admin-token-0123456789",
          METRICS_TOKEN: "a-metrics-token-0123456789",
          ENCRYPTION_KEYS: Buffer.alloc(32, 7).toString("base64"),
          DATABASE_URL: env.DATABASE_URL!.replace(":change-me@", ":a-real-password@"),
          REDIS_URL: env.REDIS_URL!.replace(":change-me@", ":a-real-password@"),
        },
        role,
      );
      expect(config.port).toBe(3000);
    }
  });

  it("run one image, the kustomization's, in roles the entry point knows", () => {
    const image = kustomization.images[0]!;
    expect(new Set(allContainers().map((c) => c.image))).toEqual(new Set([image.name]));
    // The image's entry point is `node dist/main.js`: its arguments are a role (src/main.ts).
    const roles = /const ROLES = \[(.*)\] as const/.exec(read(new URL("src/main.ts", root)))![1]!;
    for (const c of allContainers()) expect(roles).toContain(`"${c.args?.[0]}"`);
    expect(one("Job", "payzero-notify-migrate").spec!.template!.spec.containers[0]!.args).toEqual([
      "migrate",
    ]);
    const dockerfile = read(new URL("Dockerfile", root));
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node", (?:"--[^"]+", )*"dist\/main.js"\]$/m);
    const settings = one("ConfigMap", "payzero-notify-config").data!;
    const port = Number(settings.PORT);
    const adminPort = Number(settings.ADMIN_PORT);
    expect(dockerfile).toMatch(new RegExp(`^EXPOSE ${port}$`, "m"));
    for (const d of deployments()) {
      const [main] = d.spec!.template!.spec.containers;
      const role = d.metadata.labels!["app.kubernetes.io/component"];
      expect(main!.args).toEqual([role]);
      // The api listens twice (ADMIN_PORT, an api setting); the worker serves its ops on PORT.
      expect(main!.ports).toEqual([
        { name: "http", containerPort: port },
        ...(role === "api" ? [{ name: "admin", containerPort: adminPort }] : []),
      ]);
    }
  });

  it("migrate before each Deployment's pods start, with the same image and settings", () => {
    for (const d of deployments()) {
      const pod = d.spec!.template!.spec;
      const [migrate] = pod.initContainers ?? [];
      expect(migrate?.args, d.metadata.name).toEqual(["migrate"]);
      expect(migrate!.envFrom).toEqual(pod.containers[0]!.envFrom);
    }
    // The initContainers of many pods run at once: safe only because the migrator takes a lock.
    expect(read(new URL("src/db/migrate.ts", root))).toMatch(/pg_advisory_lock/);
  });

  it("probe readiness on /readyz (the api's admin port) and liveness on /healthz at the container's port", () => {
    for (const d of deployments()) {
      const [c] = d.spec!.template!.spec.containers;
      const readyPort = d.metadata.name === "payzero-notify-api" ? "admin" : "http";
      expect(c!.readinessProbe?.httpGet).toEqual({ path: "/readyz", port: readyPort });
      expect(c!.livenessProbe?.httpGet).toEqual({ path: "/healthz", port: "http" });
      expect(c!.startupProbe?.httpGet).toEqual({ path: "/healthz", port: "http" });
    }
  });

  it("take a pod out of its Service only for what its role needs (the api: Redis, not Postgres)", () => {
    // The receiver's readiness names Redis alone (src/api/app.ts): a Postgres outage keeps every
    // receiver in the Service (checked against a real outage in test/integration/orders/postgres-outage.test.ts).
    const appSource = read(new URL("src/api/app.ts", root));
    expect(appSource).toMatch(/probes: \{ redis: \(\) => redis\.ping\(\) \}, reportedProbes: \{ postgres:/);
    // The workers' readiness needs both (src/workers.ts).
    expect(read(new URL("src/workers.ts", root))).toMatch(/probes: \{ postgres: .*, redis: /);
    // Each probe of /readyz gives up after 1 s (src/ops/health.ts): the kubelet waits longer than that.
    expect(read(new URL("src/ops/health.ts", root))).toMatch(/opts\.timeoutMs \?\? 1000/);
    for (const d of deployments()) {
      const probe = d.spec!.template!.spec.containers[0]!.readinessProbe as Probe & {
        timeoutSeconds?: number;
      };
      expect(probe.timeoutSeconds, d.metadata.name).toBeGreaterThan(1);
    }
  });

  it("give each pod longer to stop than the service's own stop bound plus its preStop", () => {
    const bound = /closeWithGrace\(\{ delay: ([\d_]+)/.exec(read(new URL("src/main.ts", root)));
    const stopSeconds = Number(bound![1]!.replaceAll("_", "")) / 1000;
    expect(stopSeconds).toBe(20);
    for (const d of deployments()) {
      const pod = d.spec!.template!.spec;
      const preStop = pod.containers[0]!.lifecycle?.preStop?.exec?.command;
      const sleep = preStop ? Number(preStop[1]) : 0;
      expect(pod.terminationGracePeriodSeconds, d.metadata.name).toBeGreaterThan(sleep + stopSeconds);
    }
    // The receiver waits out its removal from the Service's endpoints before it stops listening.
    const api = one("Deployment", "payzero-notify-api").spec!.template!.spec.containers[0]!;
    expect(api.lifecycle?.preStop?.exec?.command).toEqual(["sleep", "5"]);
  });

  it("run as the image's non-root user, read-only, without privileges, with resources set", () => {
    expect(read(new URL("Dockerfile", root))).toMatch(/^USER node$/m);
    for (const { m, pod } of podSpecs()) {
      expect(pod.securityContext, m.metadata.name).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 1000,
        seccompProfile: { type: "RuntimeDefault" },
      });
    }
    // What the namespace enforces, which the pods above meet.
    expect(one("Namespace", "payzero-notify").metadata.labels).toMatchObject({
      "pod-security.kubernetes.io/enforce": "restricted",
    });
    for (const c of allContainers()) {
      expect(c.securityContext, c.name).toEqual({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"] },
      });
      expect(c.resources?.requests?.cpu, c.name).toBeDefined();
      expect(c.resources?.limits?.memory, c.name).toBeDefined();
    }
  });

  it("let anyone reach the notify port, only the namespace the admin and ops ports, and the pods only DNS, Postgres, Redis and endpoints", () => {
    const apiIn = one("NetworkPolicy", "payzero-notify-api-ingress").spec!;
    expect(apiIn.policyTypes).toEqual(["Ingress"]);
    const open = apiIn.ingress!.filter((rule) => rule.from === undefined);
    expect(open.flatMap((rule) => rule.ports!.map((p) => p.port))).toEqual(["http"]);
    const fromNamespace = apiIn.ingress!.filter((rule) => rule.from !== undefined);
    expect(fromNamespace.flatMap((rule) => rule.from!)).toEqual([{ podSelector: {} }]);
    expect(fromNamespace.flatMap((rule) => rule.ports!.map((p) => p.port))).toEqual(["admin"]);
    const workerIn = one("NetworkPolicy", "payzero-notify-worker-ingress").spec!;
    expect(workerIn.ingress!.every((rule) => rule.from?.length)).toBe(true);
    const egress = one("NetworkPolicy", "payzero-notify-egress").spec!;
    expect(egress.podSelector?.matchLabels).toEqual({ "app.kubernetes.io/name": "payzero-notify" });
    const ports = egress.egress!.flatMap((rule) => (rule.ports ?? []).map((p) => p.port));
    expect(ports).toEqual(expect.arrayContaining([53, 5432, 6379]));
    // The endpoints: anywhere but the cloud metadata addresses.
    expect(JSON.stringify(egress.egress)).toMatch(/"except":\["169\.254\.0\.0\/16","100\.100\.100\.200\/32"/);
  });
});
