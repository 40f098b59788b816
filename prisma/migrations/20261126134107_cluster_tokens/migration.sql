-- CreateTable
CREATE TABLE "ClusterToken" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "clusterId" INTEGER NOT NULL,
    "role" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL,
    CONSTRAINT "ClusterToken_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE UNIQUE INDEX "ClusterToken_hash_key" ON "ClusterToken"("hash");

-- CreateIndex
CREATE INDEX "ClusterToken_clusterId_idx" ON "ClusterToken"("clusterId");
