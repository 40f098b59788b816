-- CreateTable
CREATE TABLE "Cluster" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "name" TEXT NOT NULL,
    "uid" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL,
    "serviceCIDR" TEXT NOT NULL,
    "clusterCIDR" TEXT NOT NULL,
    "nodePortMin" INTEGER NOT NULL,
    "nodePortMax" INTEGER NOT NULL,
    "kubeProxy" TEXT NOT NULL,
    "resourceVersion" INTEGER NOT NULL DEFAULT 0
);

-- CreateTable
CREATE TABLE "Node" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "clusterId" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "resourceVersion" INTEGER NOT NULL,
    "podCIDR" TEXT,
    "internalIP" TEXT,
    "lastPodIP" TEXT,
    "object" TEXT NOT NULL,
    CONSTRAINT "Node_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Pod" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "clusterId" INTEGER NOT NULL,
    "namespace" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "resourceVersion" INTEGER NOT NULL,
    "nodeName" TEXT,
    "podIP" TEXT,
    "hostNetwork" BOOLEAN NOT NULL DEFAULT false,
    "object" TEXT NOT NULL,
    CONSTRAINT "Pod_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Service" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "clusterId" INTEGER NOT NULL,
    "namespace" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "resourceVersion" INTEGER NOT NULL,
    "type" TEXT NOT NULL,
    "clusterIP" TEXT,
    "object" TEXT NOT NULL,
    CONSTRAINT "Service_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "NodePortAllocation" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "clusterId" INTEGER NOT NULL,
    "port" INTEGER NOT NULL,
    "serviceId" INTEGER NOT NULL,
    "protocols" TEXT NOT NULL,
    "field" TEXT NOT NULL,
    CONSTRAINT "NodePortAllocation_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "NodePortAllocation_serviceId_fkey" FOREIGN KEY ("serviceId") REFERENCES "Service" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "ClusterIPAllocation" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "clusterId" INTEGER NOT NULL,
    "ip" TEXT NOT NULL,
    "serviceId" INTEGER NOT NULL,
    CONSTRAINT "ClusterIPAllocation_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "ClusterIPAllocation_serviceId_fkey" FOREIGN KEY ("serviceId") REFERENCES "Service" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "PodIPAllocation" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "clusterId" INTEGER NOT NULL,
    "ip" TEXT NOT NULL,
    "podId" INTEGER NOT NULL,
    CONSTRAINT "PodIPAllocation_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "PodIPAllocation_podId_fkey" FOREIGN KEY ("podId") REFERENCES "Pod" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE UNIQUE INDEX "Cluster_name_key" ON "Cluster"("name");

-- CreateIndex
CREATE UNIQUE INDEX "Node_clusterId_name_key" ON "Node"("clusterId", "name");

-- CreateIndex
CREATE UNIQUE INDEX "Node_clusterId_podCIDR_key" ON "Node"("clusterId", "podCIDR");

-- CreateIndex
CREATE INDEX "Pod_clusterId_nodeName_idx" ON "Pod"("clusterId", "nodeName");

-- CreateIndex
CREATE UNIQUE INDEX "Pod_clusterId_namespace_name_key" ON "Pod"("clusterId", "namespace", "name");

-- CreateIndex
CREATE UNIQUE INDEX "Service_clusterId_namespace_name_key" ON "Service"("clusterId", "namespace", "name");

-- CreateIndex
CREATE INDEX "NodePortAllocation_serviceId_idx" ON "NodePortAllocation"("serviceId");

-- CreateIndex
CREATE UNIQUE INDEX "NodePortAllocation_clusterId_port_key" ON "NodePortAllocation"("clusterId", "port");

-- CreateIndex
CREATE INDEX "ClusterIPAllocation_serviceId_idx" ON "ClusterIPAllocation"("serviceId");

-- CreateIndex
CREATE UNIQUE INDEX "ClusterIPAllocation_clusterId_ip_key" ON "ClusterIPAllocation"("clusterId", "ip");

-- CreateIndex
CREATE UNIQUE INDEX "PodIPAllocation_podId_key" ON "PodIPAllocation"("podId");

-- CreateIndex
CREATE UNIQUE INDEX "PodIPAllocation_clusterId_ip_key" ON "PodIPAllocation"("clusterId", "ip");
