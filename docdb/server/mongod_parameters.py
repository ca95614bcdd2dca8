"""mongod 7.0's server parameters as ``getParameter`` shows them: name → default value (its BSON type) and
when ``setParameter``/``--setParameter`` may set it.  Hand-maintained data, no behaviour.

Where it comes from: the ``server_parameters:`` sections of the ``mongodb/mongo`` ``*.idl`` files (community
build, Linux, release build; enterprise-only modules left out). The BSON type follows the IDL
``cpp_vartype``: ``int``/``AtomicWord<int>``/``std::int32_t`` → int32, ``long long`` → Int64
(``bson.int64.Int64`` here), ``double``/``AtomicDouble`` → double, ``bool`` → bool, ``std::string`` →
string. ``set_at: startup`` is settable at start-up only, ``runtime`` at run time only, ``readonly``
neither; ``cluster`` parameters are not listed (getParameter does not show them).

Not listed (see the README's Limits): feature flags (``featureFlag*``), whose 7.0 set and states could not
be established from the sources; parameters with a custom ``cpp_class``/``append_bson`` whose appended
value depends on code (``logComponentVerbosity``, ``wiredTigerConcurrentReadTransactions``, ``tlsMode``,
…); and parameters whose 7.0 default could not be confirmed. ``featureCompatibilityVersion`` and
``authenticationMechanisms`` are docdb's own (``commands/parameter_cmds.py``).

``TEST_ONLY_PARAMETERS`` are ``test_only: true``: mongod registers them only with test commands enabled.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bson.int64 import Int64


@dataclass(frozen=True, slots=True)
class MongodParameter:
    """One declared parameter: its default and whether ``setParameter``/``--setParameter`` may set it."""

    default: Any
    settable_at_runtime: bool
    settable_at_startup: bool


def _startup(default: Any) -> MongodParameter:
    return MongodParameter(default, False, True)


def _both(default: Any) -> MongodParameter:
    return MongodParameter(default, True, True)


def _runtime(default: Any) -> MongodParameter:
    return MongodParameter(default, True, False)


def _readonly(default: Any) -> MongodParameter:
    return MongodParameter(default, False, False)


_MB100 = 100 * 1024 * 1024
_OPLOG_FETCHER_BATCH = (16 * 1024 * 1024) // 12 * 10
_INT_MAX = 2147483647

MONGOD_PARAMETERS: dict[str, MongodParameter] = {  # sorted alphabetically
    "KeysRotationIntervalSec": _startup(7776000),
    "ShardingTaskExecutorPoolHostTimeoutMS": _both(300000),
    "ShardingTaskExecutorPoolMaxConnecting": _both(2),
    "ShardingTaskExecutorPoolMaxSizeForConfigServers": _both(-1),
    "ShardingTaskExecutorPoolMinSize": _both(1),
    "ShardingTaskExecutorPoolMinSizeForConfigServers": _both(-1),
    "ShardingTaskExecutorPoolRefreshRequirementMS": _both(60000),
    "ShardingTaskExecutorPoolRefreshTimeoutMS": _both(20000),
    "ShardingTaskExecutorPoolReplicaSetMatching": _both("automatic"),
    "TransactionRecordMinimumLifetimeMinutes": _startup(30),
    "allowDiskUseByDefault": _both(True),
    "allowMultipleArbiters": _startup(False),
    "allowRolesFromX509Certificates": _startup(True),
    "authSchemaVersion": _readonly(5),
    "bgSyncOplogFetcherBatchSize": _startup(_OPLOG_FETCHER_BATCH),
    "changeSyncSourceThresholdMillis": _both(Int64(5)),
    "chunkMigrationConcurrency": _both(1),
    "clientCursorMonitorFrequencySecs": _both(4),
    "collectionBulkLoaderBatchSizeInBytes": _startup(256 * 1024),
    "collectionClonerBatchSize": _startup(0),
    "collectionClonerUsesExhaust": _startup(True),
    "connPoolMaxConnsPerHost": _startup(200),
    "connPoolMaxInUseConnsPerHost": _startup(_INT_MAX),
    "cursorTimeoutMillis": _both(Int64(600000)),
    "disableLogicalSessionCacheRefresh": _startup(False),
    "disableNonTLSConnectionLogging": _startup(False),
    "disableResumableRangeDeleter": _startup(False),
    "disableSplitHorizonIPCheck": _startup(False),
    "enableDefaultWriteConcernUpdatesForInitiate": _both(False),
    "enableFlowControl": _startup(True),
    "enableIndexBuildCommitQuorum": _startup(True),
    "enableLocalhostAuthBypass": _startup(True),
    "enableOverrideClusterChainingSetting": _startup(False),
    "enableSearchMeta": _both(True),
    "enableShardedIndexConsistencyCheck": _both(True),
    "enableTestCommands": _startup(False),
    "enableTimeoutOfInactiveSessionCursors": _both(False),
    "fileBasedInitialSyncExtendCursorTimeoutMS": _startup(180000),
    "fileBasedInitialSyncMaxCyclesWithoutProgress": _startup(3),
    "fileBasedInitialSyncMaxLagSec": _startup(300),
    "flowControlTargetLagSeconds": _both(10),
    "flowControlThresholdLagPercentage": _both(0.5),
    "forceRollbackViaRefetch": _both(False),
    "globalConnPoolIdleTimeoutMinutes": _startup(_INT_MAX),
    "indexMaxNumGeneratedKeysPerDocument": _startup(100000),
    "initialSyncMethod": _startup("logical"),
    "initialSyncOplogBuffer": _startup("collection"),
    "initialSyncOplogBufferPeekCacheSize": _startup(10000),
    "initialSyncOplogFetcherBatchSize": _startup(_OPLOG_FETCHER_BATCH),
    "initialSyncSourceReadPreference": _startup(""),
    "initialSyncTransientErrorRetryPeriodSeconds": _both(24 * 60 * 60),
    "internalCascadesOptimizerDisableBranchAndBound": _both(False),
    "internalCascadesOptimizerDisableGroupByAndUnionRIDIntersect": _both(False),
    "internalCascadesOptimizerDisableHashJoinRIDIntersect": _both(False),
    "internalCascadesOptimizerDisableIndexes": _both(False),
    "internalCascadesOptimizerDisableMergeJoinRIDIntersect": _both(False),
    "internalCascadesOptimizerDisableScan": _both(False),
    "internalCascadesOptimizerKeepRejectedPlans": _both(False),
    "internalDocumentSourceCursorBatchSizeBytes": _both(4 * 1024 * 1024),
    "internalDocumentSourceDensifyMaxMemoryBytes": _both(_MB100),
    "internalDocumentSourceGroupMaxMemoryBytes": _both(Int64(_MB100)),
    "internalDocumentSourceLookupCacheSizeBytes": _both(_MB100),
    "internalDocumentSourceSetWindowFieldsMaxMemoryBytes": _both(Int64(_MB100)),
    "internalInsertMaxBatchSize": _both(500),
    "internalLookupStageIntermediateDocumentMaxSizeBytes": _both(Int64(_MB100)),
    "internalPartialFilterExpressionMaxDepth": _both(Int64(4)),
    "internalPipelineLengthLimit": _startup(1000),
    "internalQueryAppendIdToSetWindowFieldsSort": _both(False),
    "internalQueryCacheDisableInactiveEntries": _both(False),
    "internalQueryCacheEvictionRatio": _both(10.0),
    "internalQueryCacheMaxEntriesPerCollection": _both(5000),
    "internalQueryCacheMaxSizeBytesBeforeStripDebugInfo": _both(Int64(512 * 1024 * 1024)),
    "internalQueryCacheWorksGrowthCoefficient": _both(2.0),
    "internalQueryCollectionMaxDataSizeBytesToChooseHashJoin": _both(Int64(_MB100)),
    "internalQueryCollectionMaxNoOfDocumentsToChooseHashJoin": _both(Int64(10000)),
    "internalQueryCollectionMaxStorageSizeBytesToChooseHashJoin": _both(Int64(_MB100)),
    "internalQueryDesugarWhereToFunction": _both(False),
    "internalQueryDisableLookupExecutionUsingHashJoin": _both(False),
    "internalQueryDisablePlanCache": _startup(False),
    "internalQueryEnumerationMaxIntersectPerAnd": _both(3),
    "internalQueryEnumerationMaxOrSolutions": _both(10),
    "internalQueryEnumerationPreferLockstepOrEnumeration": _both(False),
    "internalQueryExecYieldIterations": _both(1000),
    "internalQueryExecYieldPeriodMS": _both(10),
    "internalQueryExplainSizeThresholdBytes": _both(10 * 1024 * 1024),
    "internalQueryFLEAlwaysUseHighCardinalityMode": _both(False),
    "internalQueryFLERewriteMemoryLimit": _both(14 * 1024 * 1024),
    "internalQueryFacetBufferSizeBytes": _both(_MB100),
    "internalQueryFacetMaxOutputDocSizeBytes": _both(Int64(_MB100)),
    "internalQueryForceIntersectionPlans": _both(False),
    "internalQueryFrameworkControl": _both("trySbeRestricted"),
    "internalQueryIgnoreUnknownJSONSchemaKeywords": _both(False),
    "internalQueryJavaScriptFnTimeoutMillis": _both(60 * 1000),
    "internalQueryJavaScriptHeapSizeLimitMB": _both(100),
    "internalQueryMaxAddToSetBytes": _both(Int64(_MB100)),
    "internalQueryMaxAllowedDensifyDocs": _both(500000),
    "internalQueryMaxBlockingSortMemoryUsageBytes": _both(_MB100),
    "internalQueryMaxDocValidationErrorConsideredValues": _both(10),
    "internalQueryMaxJsEmitBytes": _both(_MB100),
    "internalQueryMaxNumberOfFieldsToChooseFilteredColumnScan": _both(12),
    "internalQueryMaxNumberOfFieldsToChooseUnfilteredColumnScan": _both(5),
    "internalQueryMaxPushBytes": _both(_MB100),
    "internalQueryMaxRangeBytes": _both(_MB100),
    "internalQueryMaxScansToExplode": _both(200),
    "internalQueryPlanEvaluationCollFraction": _both(0.3),
    "internalQueryPlanEvaluationCollFractionSbe": _both(0.0),
    "internalQueryPlanEvaluationMaxResults": _both(101),
    "internalQueryPlanEvaluationWorks": _both(10000),
    "internalQueryPlanEvaluationWorksSbe": _both(10000),
    "internalQueryPlanOrChildrenIndependently": _both(True),
    "internalQueryPlannerEnableHashIntersection": _both(False),
    "internalQueryPlannerEnableIndexIntersection": _both(True),
    "internalQueryPlannerGenerateCoveredWholeIndexScans": _both(False),
    "internalQueryPlannerMaxIndexedSolutions": _both(64),
    "internalQueryProhibitBlockingMergeOnMongoS": _both(False),
    "internalQuerySlotBasedExecutionDisableGroupPushdown": _both(False),
    "internalQuerySlotBasedExecutionDisableLookupPushdown": _both(False),
    "internalQuerySlotBasedExecutionHashAggApproxMemoryUseInBytesBeforeSpill": _both(Int64(_MB100)),
    "internalQuerySlotBasedExecutionHashAggMemoryCheckPerAdvanceAtLeast": _both(Int64(1024)),
    "internalQuerySlotBasedExecutionHashAggMemoryCheckPerAdvanceAtMost": _both(Int64(2)),
    "internalQuerySlotBasedExecutionHashAggMemoryUseCheckMargin": _both(0.7),
    "internalQuerySlotBasedExecutionHashLookupApproxMemoryUseInBytesBeforeSpill": _both(Int64(_MB100)),
    "internalQuerySlotBasedExecutionMaxStaticIndexScanIntervals": _both(1000),
    "internalQueryTopNAccumulatorBytes": _both(_MB100),
    "journalCommitInterval": _both(100),
    "localLogicalSessionTimeoutMinutes": _startup(30),
    "logLevel": _both(0),
    "logicalSessionRefreshMillis": _startup(300000),
    "maxCatchUpPercentageBeforeBlockingWrites": _startup(10),
    "maxNumActiveUserIndexBuilds": _both(3),
    "maxNumSyncSourceChangesPerHour": _both(3),
    "maxNumberOfBatchedOperationsInSingleOplogEntry": _startup(_INT_MAX),
    "maxNumberOfTransactionOperationsInSingleOplogEntry": _startup(_INT_MAX),
    "maxSessions": _startup(1000000),
    "maxSizeOfBatchedOperationsInSingleOplogEntryBytes": _startup(16 * 1024 * 1024),
    "maxSyncSourceLagSecs": _startup(30),
    "maxTenantMigrationDonorServiceThreadPoolSize": _startup(8),
    "maxTenantMigrationRecipientThreadPoolSize": _startup(128),
    "maxTransactionLockRequestTimeoutMillis": _both(5),
    "metadataRefreshInTransactionMaxWaitBehindCritSecMS": _both(500),
    "migrateCloneInsertionBatchDelayMS": _both(0),
    "migrateCloneInsertionBatchSize": _both(0),
    "migrationLockAcquisitionMaxWaitMS": _both(500),
    "minOplogEntriesPerThread": _both(16),
    "numInitialSyncConnectAttempts": _both(10),
    "numInitialSyncOplogFindAttempts": _both(3),
    "ocspCacheSize": _startup(300),
    "ocspEnabled": _startup(True),
    "ocspStaplingRefreshPeriodSecs": _startup(Int64(-1)),
    "opensslDiffieHellmanParameters": _startup(""),
    "operationMemoryPoolBlockInitialSizeKB": _both(1),
    "operationMemoryPoolBlockMaxSizeKB": _both(2048),
    "oplogApplicationEnforcesSteadyStateConstraints": _startup(False),
    "oplogBatchDelayMillis": _startup(0),
    "oplogFetcherInitialSyncMaxFetcherRestarts": _both(10),
    "oplogFetcherSteadyStateMaxFetcherRestarts": _both(1),
    "oplogFetcherUsesExhaust": _startup(True),
    "oplogInitialFindMaxSeconds": _both(60),
    "oplogNetworkTimeoutBufferSeconds": _startup(5),
    "oplogRetriedFindMaxSeconds": _both(2),
    "orphanCleanupDelaySecs": _both(900),
    "planCacheSize": _both("5%"),
    "quiet": _both(False),
    "rangeDeleterBatchDelayMS": _both(20),
    "receiveChunkWaitForRangeDeleterTimeoutMS": _both(10000),
    "recoverFromOplogAsStandalone": _startup(False),
    "replBatchLimitBytes": _both(_MB100),
    "replBatchLimitOperations": _both(5 * 1000),
    "replElectionTimeoutOffsetLimitFraction": _startup(0.15),
    "replWriterMinThreadCount": _startup(0),
    "replWriterThreadCount": _startup(16),
    "requireApiVersion": _both(False),
    "resumableIndexBuildMajorityOpTimeTimeoutMillis": _startup(Int64(10000)),
    "rollbackRemoteOplogQueryBatchSize": _both(2000),
    "scramIterationCount": _both(10000),
    "scramSHA256IterationCount": _both(15000),
    "shardSplitGarbageCollectionDelayMS": _both(15 * 60 * 1000),
    "shardSplitTimeoutMS": _both(3600000),
    "shardedIndexConsistencyCheckIntervalMS": _startup(600000),
    "startupAuthSchemaValidation": _startup(True),
    "startupRecoveryForRestore": _startup(False),
    "storeFindAndModifyImagesInSideCollection": _both(True),
    "suppressNoTLSPeerCertificateWarning": _startup(False),
    "syncdelay": _both(60.0),
    "takeUnstableCheckpointOnShutdown": _startup(False),
    "tenantApplierBatchSizeBytes": _both(16 * 1024 * 1024),
    "tenantApplierBatchSizeOps": _both(500),
    "tenantApplierThreadCount": _startup(5),
    "tenantMigrationBlockingStateTimeoutMS": _both(3600000),
    "tenantMigrationExcludeDonorHostTimeoutMS": _startup(60000),
    "tenantMigrationExternalKeysRemovalBufferSecs": _both(60 * 60 * 24),
    "tenantMigrationGarbageCollectionDelayMS": _both(15 * 60 * 1000),
    "tenantMigrationOplogBufferPeekCacheSize": _startup(10000),
    "tenantMigrationOplogFetcherBatchSize": _startup(_OPLOG_FETCHER_BATCH),
    "tlsOCSPStaplingTimeoutSecs": _startup(-1),
    "tlsOCSPVerifyTimeoutSecs": _startup(4),
    "tlsWithholdClientCertificate": _startup(False),
    "tlsX509ExpirationWarningThresholdDays": _startup(30),
    "traceExceptions": _runtime(False),
    "transactionLifetimeLimitSeconds": _both(60),
    "ttlMonitorEnabled": _both(True),
    "ttlMonitorSleepSecs": _both(60),
    "userCacheInvalidationIntervalSecs": _both(30),
    "wiredTigerCursorCacheSize": _both(-100),
    "wiredTigerFileHandleCloseIdleTime": _startup(600),
    "wiredTigerFileHandleCloseMinimum": _startup(2000),
    "wiredTigerFileHandleCloseScanInterval": _startup(10),
    "wiredTigerSessionCloseIdleTimeSecs": _both(300),
    "wiredTigerSkipTableLoggingChecksOnStartup": _startup(False),
    "writePeriodicNoops": _both(True),
}

TEST_ONLY_PARAMETERS: dict[str, MongodParameter] = {  # sorted alphabetically
    "enableReconfigRollbackCommittedWritesCheck": _both(True),
    "internalMaxSubPipelineViewDepth": _both(Int64(20)),
    "internalQueryDefaultDOP": _both(1),
    "internalQueryForceCommonQueryFramework": _both(False),
}
