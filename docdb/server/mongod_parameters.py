"""mongod 7.0's server parameters as ``getParameter`` shows them: name → default value (its BSON type) and
when ``setParameter``/``--setParameter`` may set it.  Hand-maintained data, no behaviour.

Where it comes from: the ``server_parameters:`` sections of the ``mongodb/mongo`` ``*.idl`` files for a
community, Linux, release build (enterprise modules left out), read at the versions nearest r7.0 that could
be found (``query_knobs.idl`` from the 7.0 development line, early 2023; most other files from 2022-2025
versions, kept only where the parameter and its default are unchanged around 7.0), cross-checked with a
mongod 4.x ``getParameter: "*"`` listing for long-lived ones. The BSON type follows ``cpp_vartype``:
``int``/``AtomicWord<int>``/``std::int32_t`` → int32, ``long long`` → Int64 (``bson.int64.Int64`` here),
``double``/``AtomicDouble`` → double, ``bool`` → bool, ``std::string`` → string, a vector → array.
``set_at: startup`` is settable at start-up only, ``runtime`` at run time only, both, or neither
(read-only); ``cluster`` parameters are not listed (getParameter does not show them). A
``deprecated_name`` is listed too: mongod registers the alias and getParameter shows it under that name.

Two ``cpp_class`` parameters are listed with the value their C++ ``append`` writes, the same in the
versions on both sides of 7.0: ``mirrorReads`` serializes its ``MirroredReadsParameters`` struct
(``mirror_maestro.idl``: ``samplingRate`` safeDouble 0.01, ``maxTimeMS`` safeInt 1000 → int32; 8.x adds
``targetedMirroring``), and ``clusterAuthMode`` (``set_at: runtime``) writes ``ClusterAuthMode::toString()``,
``"undefined"`` for a server started without ``--keyFile``/``--clusterAuthMode``, as docdb is.

Not listed, and why:

- feature flags (``featureFlag*``): mongod 7.0 shows one as ``{value: <bool>}``, with ``version: "<fcv>"``
  added when it is enabled (``FeatureFlagServerParameter::append``, the same in the 6.x and 7.x
  ``feature_flag.cpp``), settable at start-up only. Which flags 7.0 declares and their defaults live in
  the ``feature_flags:`` sections of some twenty IDL files; no r7.0 copy of them could be found (the
  versions found are of other releases: 6.x, the 7.1 development line, 8.x and later; flags are added,
  enabled and removed every release, and a 7.1-line file still holds a ``version: 6.0`` flag), so none
  is listed rather than a guessed set.
- ``logComponentVerbosity``: ``{verbosity: 0, <component>: {verbosity: -1, <child>: {…}}, …}`` over the
  component list of ``logv2/log_component.h``, which changes between releases (``globalIndex``, the
  ``wt*`` children of ``storage``, ``queryStats``, ``streams``, …); 7.0's list could not be confirmed.
- ``wiredTigerConcurrentReadTransactions``/``wiredTigerConcurrentWriteTransactions``: 7.0 sizes the ticket
  pools itself (``storageEngineConcurrencyAdjustmentAlgorithm: "throughputProbing"``, starting from the
  host's CPU count), so what getParameter shows is not a constant.
- ``tcmallocMaxTotalThreadCacheBytes``, ``tcmallocAggressiveMemoryDecommit``,
  ``tcmallocEnableMarkThreadIdle``, ``tcmallocReleaseRate``: the allocator's live settings, some derived
  from the host's memory.
- ``journalCommitInterval``: no IDL default (``storageGlobalParams.journalCommitIntervalMs``); whether
  7.0 shows 0 or the journal flusher's 100 could not be confirmed.
- ``diagnosticDataCollectionDirectoryPath`` (derived from ``--dbpath``, which docdb has not) and
  ``diagnosticDataCollectionDirectorySizeMB`` (its default lives in C++, not confirmed for 7.0).
- ``automationServiceDescriptor``: in the 4.x-6.x sources mongod appends nothing while it is empty (its
  default), so plain getParameter shows it neither under ``"*"`` nor by name, as here; ``showDetails``
  would show its settability alone (no ``value``). Not confirmed for 7.0, so not listed for that either.
- enterprise-only parameters (``redactClientLogData``, ``audit*``, ``ldap*``, …), and, with test commands,
  mongod's ``failpoint.<name>`` parameters (one per fail point).

``featureCompatibilityVersion``, ``authenticationMechanisms``, ``sslMode`` and ``tlsMode`` are docdb's own
(``commands/parameter_cmds.py``).

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
    "aggregateOperationResourceConsumptionMetrics": _startup(False),
    "allowDiskUseByDefault": _both(True),
    "allowMultipleArbiters": _startup(False),
    "allowRolesFromX509Certificates": _startup(True),
    "analyzeShardKeyCharacteristicsDefaultSampleSize": _both(10000000),
    "analyzeShardKeyMonotonicityCorrelationCoefficientThreshold": _both(0.7),
    "analyzeShardKeyNumMostCommonValues": _both(5),
    "analyzeShardKeyNumRanges": _both(100),
    "authSchemaVersion": _both(5),
    "authorizationManagerCacheSize": _startup(100),
    "authorizationManagerPinnedUsersRefreshIntervalMillis": _both(Int64(1000)),
    "balancerMigrationsThrottlingMs": _both(1000),
    "batchedDeletesTargetBatchDocs": _both(Int64(10)),
    "batchedDeletesTargetBatchTimeMS": _both(Int64(5)),
    "batchedDeletesTargetStagedDocBytes": _both(Int64(2 * 1024 * 1024)),
    "bgSyncOplogFetcherBatchSize": _startup(_OPLOG_FETCHER_BATCH),
    "changeSyncSourceThresholdMillis": _both(Int64(5)),
    "chunkMigrationConcurrency": _both(1),
    "clientCursorMonitorFrequencySecs": _both(4),
    "clusterAuthMode": _runtime("undefined"),  # no --keyFile/--clusterAuthMode: ClusterAuthMode undefined
    "collectionBulkLoaderBatchSizeInBytes": _startup(256 * 1024),
    "collectionClonerBatchSize": _startup(0),
    "collectionClonerUsesExhaust": _startup(True),
    "connPoolMaxConnsPerHost": _startup(200),
    "connPoolMaxInUseConnsPerHost": _startup(_INT_MAX),
    "connectTimeoutMs": _startup(10000),
    "createRollbackDataFiles": _both(True),
    "cursorTimeoutMillis": _both(Int64(600000)),
    "deprioritizeUnboundedUserCollectionScans": _both(True),
    "deprioritizeUnboundedUserIndexScans": _both(True),
    "diagnosticDataCollectionEnableLatencyHistograms": _both(False),
    "diagnosticDataCollectionEnabled": _both(True),
    "diagnosticDataCollectionFileSizeMB": _both(10),
    "diagnosticDataCollectionPeriodMillis": _both(1000),
    "diagnosticDataCollectionSamplesPerChunk": _both(300),
    "diagnosticDataCollectionSamplesPerInterimUpdate": _both(10),
    "diagnosticDataCollectionStatsNamespaces": _both([]),
    "diagnosticDataCollectionVerboseTCMalloc": _both(False),
    "disableJavaScriptJIT": _both(True),
    "disableLogicalSessionCacheRefresh": _startup(False),
    "disableNonSSLConnectionLogging": _startup(False),
    "disableNonTLSConnectionLogging": _startup(False),
    "disableResumableRangeDeleter": _startup(False),
    "disableSplitHorizonIPCheck": _startup(False),
    "documentUnitSizeBytes": _startup(128),
    "enableAccessToUserRoles": _both(True),
    "enableComputeMode": _startup(False),
    "enableDefaultWriteConcernUpdatesForInitiate": _both(False),
    "enableElectionHandoff": _both(True),
    "enableFlowControl": _startup(True),
    "enableIndexBuildCommitQuorum": _startup(True),
    "enableLocalhostAuthBypass": _startup(True),
    "enableOverrideClusterChainingSetting": _startup(False),
    "enableSearchMeta": _both(True),
    "enableShardedIndexConsistencyCheck": _both(True),
    "enableTestCommands": _startup(False),
    "enableTimeoutOfInactiveSessionCursors": _both(False),
    "externalPipeDir": _startup(""),
    "fileBasedInitialSyncExtendCursorTimeoutMS": _startup(180000),
    "fileBasedInitialSyncMaxCyclesWithoutProgress": _startup(3),
    "fileBasedInitialSyncMaxLagSec": _startup(300),
    "flowControlTargetLagSeconds": _both(10),
    "flowControlThresholdLagPercentage": _both(0.5),
    "forceRollbackViaRefetch": _both(False),
    "globalConnPoolIdleTimeoutMinutes": _startup(_INT_MAX),
    "heapProfilingEnabled": _startup(False),
    "heapProfilingSampleIntervalBytes": _startup(Int64(256 * 1024)),
    "heartBeatFrequencyMs": _startup(10000),
    "honorSystemUmask": _startup(False),
    "indexEntryUnitSizeBytes": _startup(16),
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
    "internalCascadesOptimizerDisableYieldingTolerantPlans": _both(True),
    "internalCascadesOptimizerFastIndexNullHandling": _both(False),
    "internalCascadesOptimizerKeepRejectedPlans": _both(False),
    "internalCascadesOptimizerMaxIndexEqPrefixes": _both(1),
    "internalCascadesOptimizerMinIndexEqPrefixes": _both(1),
    "internalChangeStreamUseTenantIdForTesting": _startup(False),
    "internalCostModelCoefficients": _both(""),
    "internalDocumentSourceCursorBatchSizeBytes": _both(4 * 1024 * 1024),
    "internalDocumentSourceDensifyMaxMemoryBytes": _both(_MB100),
    "internalDocumentSourceGroupMaxMemoryBytes": _both(Int64(_MB100)),
    "internalDocumentSourceLookupCacheSizeBytes": _both(_MB100),
    "internalDocumentSourceSetWindowFieldsMaxMemoryBytes": _both(Int64(_MB100)),
    "internalGeoNearQuery2DMaxCoveringCells": _both(16),
    "internalGeoPredicateQuery2DMaxCoveringCells": _both(16),
    "internalIndexBuildBulkLoadYieldIterations": _both(1000),
    "internalInsertMaxBatchSize": _both(500),
    "internalLookupStageIntermediateDocumentMaxSizeBytes": _both(Int64(_MB100)),
    "internalMeasureQueryExecutionTimeInNanoseconds": _startup(False),
    "internalPartialFilterExpressionMaxDepth": _both(Int64(4)),
    "internalPipelineLengthLimit": _startup(1000),
    "internalQueryAggMulticastMaxConcurrency": _startup(100),
    "internalQueryAggMulticastTimeoutMS": _startup(60000),
    "internalQueryAlwaysMergeOnPrimaryShard": _both(False),
    "internalQueryAppendIdToSetWindowFieldsSort": _both(False),
    "internalQueryAutoParameterizationMaxParameterCount": _both(512),
    "internalQueryCacheDisableInactiveEntries": _both(False),
    "internalQueryCacheEvictionRatio": _both(10.0),
    "internalQueryCacheMaxEntriesPerCollection": _both(5000),
    "internalQueryCacheMaxSizeBytesBeforeStripDebugInfo": _both(Int64(512 * 1024 * 1024)),
    "internalQueryCacheSize": _both(5000),
    "internalQueryCacheWorksGrowthCoefficient": _both(2.0),
    "internalQueryCardinalityEstimatorMode": _both("sampling"),
    "internalQueryCollectionMaxDataSizeBytesToChooseHashJoin": _both(Int64(_MB100)),
    "internalQueryCollectionMaxNoOfDocumentsToChooseHashJoin": _both(Int64(10000)),
    "internalQueryCollectionMaxStorageSizeBytesToChooseHashJoin": _both(Int64(_MB100)),
    "internalQueryColumnRowstoreScanMaxBatchSize": _both(Int64(10000)),
    "internalQueryColumnRowstoreScanMinBatchSize": _both(Int64(1)),
    "internalQueryColumnScanMinAvgDocSizeBytes": _both(Int64(1024)),
    "internalQueryColumnScanMinCollectionSizeBytes": _both(Int64(-1)),
    "internalQueryColumnScanMinNumColumnFilters": _both(3),
    "internalQueryDesugarWhereToFunction": _both(False),
    "internalQueryDisableExchange": _both(False),
    "internalQueryDisableLookupExecutionUsingHashJoin": _both(False),
    "internalQueryDisablePlanCache": _startup(False),
    "internalQueryEnableCSTParser": _both(False),
    "internalQueryEnumerationMaxIntersectPerAnd": _both(3),
    "internalQueryEnumerationMaxOrSolutions": _both(10),
    "internalQueryEnumerationPreferLockstepOrEnumeration": _both(False),
    "internalQueryExecYieldIterations": _both(1000),
    "internalQueryExecYieldPeriodMS": _both(10),
    "internalQueryExplainSizeThresholdBytes": _both(10 * 1024 * 1024),
    "internalQueryFLEAlwaysUseEncryptedCollScanMode": _both(False),
    "internalQueryFLERewriteMemoryLimit": _both(14 * 1024 * 1024),
    "internalQueryFacetBufferSizeBytes": _both(_MB100),
    "internalQueryFacetMaxOutputDocSizeBytes": _both(Int64(_MB100)),
    "internalQueryForceIntersectionPlans": _both(False),
    "internalQueryFrameworkControl": _both("trySbeRestricted"),
    "internalQueryGlobalProfilingFilter": _startup(False),
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
    "internalQueryPercentileExprSelectToSortThreshold": _both(20),
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
    "internalQueryProhibitMergingOnMongoS": _both(False),
    "internalQueryS2GeoCoarsestLevel": _both(0),
    "internalQueryS2GeoFinestLevel": _both(23),
    "internalQueryS2GeoMaxCells": _both(20),
    "internalQuerySlotBasedExecutionDisableGroupPushdown": _both(False),
    "internalQuerySlotBasedExecutionDisableLookupPushdown": _both(False),
    "internalQuerySlotBasedExecutionHashAggApproxMemoryUseInBytesBeforeSpill": _both(Int64(_MB100)),
    "internalQuerySlotBasedExecutionHashAggMemoryCheckPerAdvanceAtLeast": _both(Int64(1024)),
    "internalQuerySlotBasedExecutionHashAggMemoryCheckPerAdvanceAtMost": _both(Int64(2)),
    "internalQuerySlotBasedExecutionHashAggMemoryUseCheckMargin": _both(0.7),
    "internalQuerySlotBasedExecutionHashLookupApproxMemoryUseInBytesBeforeSpill": _both(Int64(_MB100)),
    "internalQuerySlotBasedExecutionMaxStaticIndexScanIntervals": _both(1000),
    "internalQueryTdigestDelta": _both(2000),
    "internalQueryTopNAccumulatorBytes": _both(_MB100),
    "internalSessionsReapThreshold": _both(1000),
    "internalValidateFeaturesAsMaster": _startup(True),
    "internalValidateFeaturesAsPrimary": _startup(True),
    "javascriptProtection": _both(False),
    "jsHeapLimitMB": _both(1100),
    "loadRoutingTableOnStartup": _startup(True),
    "localLogicalSessionTimeoutMinutes": _startup(30),
    "localThresholdMs": _startup(15),
    "logLevel": _both(0),
    "logicalSessionRefreshMillis": _startup(300000),
    "maintainValidCursorsAcrossSBEReadCommands": _startup(False),
    "maxAcceptableLogicalClockDriftSecs": _startup(Int64(365 * 24 * 60 * 60)),
    "maxBSONDepth": _startup(200),
    "maxCatchUpPercentageBeforeBlockingWrites": _startup(10),
    "maxIndexBuildDrainBatchSize": _both(1000),
    "maxIndexBuildDrainMemoryUsageMegabytes": _both(16),
    "maxIndexBuildMemoryUsageMegabytes": _both(200),
    "maxLogSizeKB": _both(10),
    "maxNumActiveUserIndexBuilds": _both(3),
    "maxNumSyncSourceChangesPerHour": _both(3),
    "maxNumberOfBatchedOperationsInSingleOplogEntry": _startup(_INT_MAX),
    "maxNumberOfTransactionOperationsInSingleOplogEntry": _startup(_INT_MAX),
    "maxOplogTruncationPointsAfterStartup": _both(Int64(100)),
    "maxOplogTruncationPointsDuringStartup": _startup(Int64(100)),
    "maxSessions": _startup(1000000),
    "maxSizeOfBatchedOperationsInSingleOplogEntryBytes": _startup(16 * 1024 * 1024),
    "maxSyncSourceLagSecs": _startup(30),
    "maxTenantMigrationDonorServiceThreadPoolSize": _startup(8),
    "maxTenantMigrationRecipientThreadPoolSize": _startup(128),
    "maxTransactionLockRequestTimeoutMillis": _both(5),
    "maxValidateMBperSec": _both(0),
    "metadataRefreshInTransactionMaxWaitBehindCritSecMS": _both(500),
    "migrateCloneInsertionBatchDelayMS": _both(0),
    "migrateCloneInsertionBatchSize": _both(0),
    "migrationLockAcquisitionMaxWaitMS": _both(500),
    "minNumChunksForSessionsCollection": _both(1024),
    "minOplogEntriesPerThread": _both(16),
    "minOplogTruncationPoints": _both(Int64(10)),
    "minSnapshotHistoryWindowInSeconds": _both(300),
    "mirrorReads": _both({"samplingRate": 0.01, "maxTimeMS": 1000}),  # MirroredReadsParameters, serialized
    "notablescan": _both(False),
    "numInitialSyncConnectAttempts": _both(10),
    "numInitialSyncOplogFindAttempts": _both(3),
    "ocspCacheSize": _startup(300),
    "ocspEnabled": _startup(True),
    "ocspStaplingRefreshPeriodSecs": _startup(Int64(-1)),
    "ocspValidationRefreshPeriodSecs": _startup(Int64(-1)),
    "opensslCipherConfig": _startup(""),
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
    "oplogTruncationPointSizeMB": _both(0),
    "orphanCleanupDelaySecs": _both(900),
    "periodicNoopIntervalSecs": _startup(10),
    "planCacheSize": _both("5%"),
    "profileOperationResourceConsumptionMetrics": _startup(False),
    "queryAnalysisSampleExpirationSecs": _both(7 * 24 * 3600),
    "queryAnalysisSamplerConfigurationRefreshSecs": _both(10),
    "queryAnalysisWriterIntervalSecs": _both(90),
    "queryAnalysisWriterMaxBatchSize": _both(100000),
    "queryAnalysisWriterMaxMemoryUsageBytes": _both(_MB100),
    "quiet": _both(False),
    "rangeDeleterBatchDelayMS": _both(20),
    "receiveChunkWaitForRangeDeleterTimeoutMS": _both(10000),
    "recoverFromOplogAsStandalone": _startup(False),
    "remainingReshardingOperationTimeThresholdMillis": _both(2 * 1000),
    "replBatchLimitBytes": _both(_MB100),
    "replBatchLimitOperations": _both(5 * 1000),
    "replElectionTimeoutOffsetLimitFraction": _startup(0.15),
    "replWriterMinThreadCount": _startup(0),
    "replWriterThreadCount": _startup(16),
    "replicaSetMonitorProtocol": _startup("streamable"),
    "reportOpWriteConcernCountersInServerStatus": _startup(False),
    "reshardingCollectionClonerBatchSizeInBytes": _both(100 * 1024),
    "reshardingCoordinatorServiceMaxThreadCount": _startup(3),
    "reshardingCriticalSectionTimeoutMillis": _both(5 * 1000),
    "reshardingDonorServiceMaxThreadCount": _startup(2),
    "reshardingMinimumOperationDurationMillis": _both(5 * 60 * 1000),
    "reshardingOplogApplierMaxLockRequestTimeoutMillis": _both(5),
    "reshardingOplogBatchLimitBytes": _both(_MB100),
    "reshardingOplogBatchLimitOperations": _both(5 * 1000),
    "reshardingOplogBatchTaskCount": _both(4),
    "reshardingRecipientServiceMaxThreadCount": _startup(8),
    "reshardingTxnClonerProgressBatchSize": _both(1000),
    "resumableIndexBuildMajorityOpTimeTimeoutMillis": _startup(Int64(10000)),
    "rollbackRemoteOplogQueryBatchSize": _both(2000),
    "rollbackTimeLimitSecs": _both(86400),
    "saslServiceName": _startup("mongodb"),
    "saslauthdPath": _startup(""),
    "scramIterationCount": _both(10000),
    "scramSHA256IterationCount": _both(15000),
    "scriptingEngineInterruptIntervalMS": _both(1000),
    "shardSplitGarbageCollectionDelayMS": _both(15 * 60 * 1000),
    "shardSplitTimeoutMS": _both(3600000),
    "shardedIndexConsistencyCheckIntervalMS": _startup(600000),
    "skipShardingConfigurationChecks": _startup(False),
    "slowConnectionThresholdMillis": _both(Int64(100)),
    "sslWithholdClientCertificate": _startup(False),
    "startupAuthSchemaValidation": _startup(True),
    "startupRecoveryForRestore": _startup(False),
    "storageEngineConcurrencyAdjustmentAlgorithm": _startup("throughputProbing"),
    "storageEngineConcurrencyAdjustmentIntervalMillis": _startup(100),
    "storageGlobalParams.directoryperdb": _readonly(False),
    "storeFindAndModifyImagesInSideCollection": _both(True),
    "suppressNoTLSPeerCertificateWarning": _startup(False),
    "syncdelay": _both(60.0),
    "takeUnstableCheckpointOnShutdown": _startup(False),
    "taskExecutorPoolSize": _both(1),
    "tcpFastOpenClient": _startup(True),
    "tcpFastOpenQueueSize": _startup(1024),
    "tcpFastOpenServer": _startup(True),
    "tenantApplierBatchSizeBytes": _both(16 * 1024 * 1024),
    "tenantApplierBatchSizeOps": _both(500),
    "tenantApplierThreadCount": _startup(5),
    "tenantMigrationBlockingStateTimeoutMS": _both(3600000),
    "tenantMigrationExcludeDonorHostTimeoutMS": _startup(60000),
    "tenantMigrationExternalKeysRemovalBufferSecs": _both(60 * 60 * 24),
    "tenantMigrationGarbageCollectionDelayMS": _both(15 * 60 * 1000),
    "tenantMigrationOplogBufferPeekCacheSize": _startup(10000),
    "tenantMigrationOplogFetcherBatchSize": _startup(_OPLOG_FETCHER_BATCH),
    "throughputProbingConcurrencyMovingAverageWeight": _both(0.2),
    "throughputProbingInitialConcurrency": _startup(0),
    "throughputProbingMaxConcurrency": _both(128),
    "throughputProbingMinConcurrency": _startup(4),
    "throughputProbingReadWriteRatio": _both(0.5),
    "throughputProbingStepMultiple": _both(0.1),
    "timeseriesBucketMaxCount": _startup(1000),
    "timeseriesBucketMaxSize": _startup(128000),
    "timeseriesBucketMinCount": _startup(10),
    "timeseriesIdleBucketExpiryMaxCountPerAttempt": _startup(3),
    "timeseriesValidateCompressedBuckets": _both(True),
    "tlsOCSPStaplingTimeoutSecs": _startup(-1),
    "tlsOCSPVerifyTimeoutSecs": _startup(4),
    "tlsWithholdClientCertificate": _startup(False),
    "tlsX509ExpirationWarningThresholdDays": _startup(30),
    "traceExceptions": _runtime(False),
    "traceWriteConflictExceptions": _both(False),
    "transactionLifetimeLimitSeconds": _both(60),
    "transactionTooLargeForCacheThreshold": _both(0.75),
    "ttlMonitorEnabled": _both(True),
    "ttlMonitorSleepSecs": _both(60),
    "useReadOnceCursorsForIndexBuilds": _both(True),
    "userCacheInvalidationIntervalSecs": _both(30),
    "waitForSecondaryBeforeNoopWriteMS": _both(10),
    "waitForStepDownOnNonCommandShutdown": _both(True),
    "warmMinConnectionsInShardingTaskExecutorPoolOnStartup": _startup(True),
    "warmMinConnectionsInShardingTaskExecutorPoolOnStartupWaitMS": _startup(2000),
    "wiredTigerCursorCacheSize": _both(-100),
    "wiredTigerEngineRuntimeConfig": _runtime(""),
    "wiredTigerFileHandleCloseIdleTime": _startup(600),
    "wiredTigerFileHandleCloseMinimum": _startup(2000),
    "wiredTigerFileHandleCloseScanInterval": _startup(10),
    "wiredTigerSessionCloseIdleTimeSecs": _both(300),
    "wiredTigerSkipTableLoggingChecksOnStartup": _startup(False),
    "writePeriodicNoops": _both(True),
}

TEST_ONLY_PARAMETERS: dict[str, MongodParameter] = {  # sorted alphabetically
    "acceptApiVersion2": _startup(False),
    "defaultFindReplicaSetHostTimeoutMS": _both(15000),
    "enableReconfigRollbackCommittedWritesCheck": _both(True),
    "internalCascadesOptimizerExplainVersion": _both("bson"),
    "internalCascadesOptimizerStdCoutDebugOutput": _both(False),
    "internalCascadesOptimizerUseDescriptiveVarNames": _both(False),
    "internalMaxSubPipelineViewDepth": _both(Int64(20)),
    "internalQueryDefaultDOP": _both(1),
    "internalQueryDisableExclusionProjectionFastPath": _startup(False),
    "internalQueryForceCommonQueryFramework": _both(False),
    "requireApiVersion": _both(False),
}
