package io.muster.simulation;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every schedule the simulator ever failed, by name, with its seed: replayed exactly as found
 * (shrunk). Two kinds:
 *
 * <ul>
 *   <li>schedules that broke an invariant because the <em>model</em> was wrong (the store or a
 *       client behaved unlike etcd/jetcd); they must keep every invariant now;
 *   <li>schedules that break today's rules, the v2 defects issue 18 fixes. They assert the
 *       violation today; each fix flips its expectation to "keeps every invariant".
 * </ul>
 *
 * A schedule's outcome depends on the model and on the core, so a change to either may move a v2
 * schedule off its defect; {@link TodaysRulesTest} keeps searching each class afresh.
 */
class RegressionSchedulesTest {

  /** Keeps every invariant. */
  private static final String HOLDS = null;

  static Stream<Arguments> schedules() {
    return Stream.of(
        // ---- found by the soak, faults of today's classes; fixed in the model
        Arguments.of(
            "two short pauses covering every keepalive tick: the overdue keepalive fires on resume",
            "lock:1796293658239830:4:NONE:SHORT_PAUSE/2/115/1359,SLOW_LINKS/2/804/3806,"
                + "SHORT_PAUSE/2/1978/1080",
            HOLDS),
        Arguments.of(
            "a partition under half the TTL: jetcd reopens the keepalive stream every 500 ms",
            "lock:5097:3:NONE:STORE_PARTITION/1/135/182,STORE_PARTITION/0/2024/1461,"
                + "STORE_PARTITION/1/2186/102",
            HOLDS),
        Arguments.of(
            "a store outage does not count against leases: a new leader resets their TTLs",
            "lock:1000536:7:NONE:STORE_OUTAGE/-1/245/185,STORE_OUTAGE/-1/1367/1039,"
                + "STORE_OUTAGE/-1/2347/1131",
            HOLDS),
        Arguments.of(
            "overlapping store outages: leases are extended once the last one ends",
            "lock:69424:7:NONE:STORE_OUTAGE/-1/654/1395,STORE_OUTAGE/-1/1849/1473",
            HOLDS),
        Arguments.of(
            "a lock holder whose lease lapsed while slow, paused and cut off: markForming is"
                + " put-if-absent, so its late write fails and it re-decides",
            "lock:1796294115035316:3:NONE:SLOW_LINKS/2/193/1736,SHORT_PAUSE/2/795/1485,"
                + "STORE_PARTITION/2/2188/937",
            HOLDS),
        Arguments.of(
            "a joiner's node falls back to standalone and is withdrawn; told to join again, it is"
                + " let back into its old cluster through a node that joined it before, and both"
                + " withdraw on their next completion (the checker judged this two live clusters"
                + " before it knew the withdrawn cluster stays fenced)",
            "lock:1796400000128774:6:NONE:JOIN_FALLBACK/4/677/0,PAUSE_PAST_LEASE/1/1598/3916,"
                + "PAUSE_PAST_LEASE/2/2355/5802,SLOW_LINKS/3/2487/2254",
            HOLDS),
        Arguments.of(
            "a store wipe drops the only member's registration and its twin registers the name:"
                + " the member cannot register again, so the third node waits on the formed marker"
                + " with no member to join (liveness is not asked while a member's name is a"
                + " twin's; the checker asked it before)",
            "lock:1796400000170034:3:NONE:DUPLICATE_NAME/0/4299/0,STORE_WIPE/1/4960/0,"
                + "STORE_WIPE/2/9490/0",
            HOLDS),
        Arguments.of(
            "the only member loses its data just after it completed (the fault waited for that"
                + " moment) while the other agent is told to join it: the blank node waits until"
                + " the joiner gives up at its ready timeout, then they form anew; liveness counts"
                + " from when the fault landed (it counted from the schedule's end before)",
            "lockless:1796400000828763:2:NONE:SHORT_PAUSE/1/1403/514,DATA_LOSS/0/3957/500,"
                + "PEER_PARTITION/1/4933/3370,RESTART_UNRESET/0/5237/263",
            HOLDS),
        // ---- formation.md v2 defects fixed (issue 18): failed before the fix, hold now
        Arguments.of(
            "v2 joiners' evidence, lockless: both members lose their data while two agents are told"
                + " to join; one's node falls back to standalone and the other's joins it. The"
                + " fallen-back node was on the member list a formed peer reported, so it counted"
                + " as proof; only agents that answered formed count now, and both withdraw",
            "lockless:1796400000498117:3:NONE:JOIN_FALLBACK/0/762/0,DATA_LOSS/0/5486/317,"
                + "DATA_LOSS/2/7793/1697",
            HOLDS),
        Arguments.of(
            "v2 truth survives, lockless: both members lose their data one after the other; no"
                + " agent and no data dir knows of the cluster any more, so the new seed is a first"
                + " boot (the checker judged it a seed after formed before it knew what lockless"
                + " agents can know)",
            "lockless:19001001:2:NONE:DATA_LOSS/1/5958/1999,DATA_LOSS/0/7996/1456",
            HOLDS),
        Arguments.of(
            "v2 truth survives, lockless: the only completed member loses its data while the"
                + " other agent is still told to join it; the blank node sees it knows of the"
                + " cluster and waits (it seeded a second cluster before)",
            "lockless:19000505:2:NONE:DATA_LOSS/0/7397/1098",
            HOLDS),
        Arguments.of(
            "v2 unique names: two agents with one node name; the second finds the registration"
                + " another instance's, waits one TTL and exits 2 (before: both took one"
                + " registration and both seeded, then waited forever on one claim)",
            "lock:14001000:2:NONE:DUPLICATE_NAME/0/3957/0",
            HOLDS),
        Arguments.of(
            "v2 re-assertion: the store is wiped; a node booting after the window joins (it seeded"
                + " a second cluster before formed agents wrote the marker back)",
            "lock:10001000:2:NONE:STORE_WIPE/0/11604/0",
            HOLDS),
        Arguments.of(
            "v2 re-assertion: the store is restored to before formed; a later node joins (it"
                + " seeded again before)",
            "lock:11001002:3:NONE:STORE_RESTORE/2/4513/0,STORE_RESTORE/1/9069/0,"
                + "STORE_RESTORE/0/10892/0",
            HOLDS),
        Arguments.of(
            "v2 re-assertion: a seed cut off past its lease never writes formed, its forming lapses"
                + " after a joiner completed; the joiner writes formed back (a late node seeded"
                + " before)",
            "lock:12001000:6:NONE:LONG_STORE_PARTITION/5/283/6884,LONG_STORE_PARTITION/1/1327/7577",
            HOLDS),
        Arguments.of(
            "model: a seed restarted unreset used to keep its old lease and marker across the"
                + " restart; a new process has neither",
            "lock:16001006:3:NONE:RESTART_UNRESET/0/2690/2167",
            HOLDS),
        Arguments.of(
            "v2 prober expiry: one probe naming a node that does not exist; the lowest node waited"
                + " for it forever (liveness), now forgets it after a few rounds",
            "lockless:1:3:NONE:GHOST_PROBER/0/500/0",
            HOLDS),
        Arguments.of(
            "v2 prober expiry: a ghost reaches a node that is not the lowest; its answers carry"
                + " the ghost to everyone, who all waited for it before",
            "lockless:7:4:NONE:GHOST_PROBER/2/1200/0",
            HOLDS),
        Arguments.of(
            "v2 bound records: a record written for another node made the agent rejoin that"
                + " node's cluster (liveness); the agent now refuses to start",
            "lock:13000500:2:NONE:FOREIGN_RECORD/1/441/0",
            HOLDS),
        Arguments.of(
            "v2 fencing: a partition then a pause, each under half the TTL, lapse the seed's lease;"
                + " it acted on as seed while another agent seeded (two live clusters); it now"
                + " withdraws when it cannot confirm its claim in time",
            "lock:1796294353292202:3:NONE:STORE_OUTAGE/-1/147/188,STORE_PARTITION/1/481/1414,"
                + "SHORT_PAUSE/1/2304/1359",
            HOLDS),
        Arguments.of(
            "v2 fencing: seeds paused past their lease acted on, a second seed formed beside them"
                + " (two live clusters); resumed, each checks its deadline first and withdraws",
            "lock:9000500:2:NONE:PAUSE_PAST_LEASE/1/364/6968,PAUSE_PAST_LEASE/0/1645/8061",
            HOLDS),
        Arguments.of(
            "v2 evidence of membership: a joiner fell back to standalone and still completed (two"
                + " live clusters); its node's members lack the seed, so it withdraws",
            "lock:16001012:4:NONE:JOIN_FALLBACK/3/2698/0",
            HOLDS),
        Arguments.of(
            "v2 reset before restart: a seed restarted unreset booted its old standalone data and"
                + " completed into its old id (completion against the marker); the pending-decision"
                + " record makes exec reset it first",
            "lock:17000582:6:NONE:RESTART_UNRESET/5/3567/2989",
            HOLDS),
        Arguments.of(
            "v2 evidence of membership: the seed died before it formed; a joiner's node joined a"
                + " fallback peer that seeded anew and completed under the dead seed's cluster id"
                + " (completion against the marker); joiners now complete only into a formed"
                + " marker of their cluster, with their node listing the seed",
            "lock:3000592:7:NONE:KILL/2/2656/0",
            HOLDS),
        Arguments.of(
            "v2 fencing replaces re-assertion of forming: a restore to a backup taken before the"
                + " seed's claim keeps its lease alive; the seed cannot confirm its claim and"
                + " withdraws (a late node seeded a second cluster before)",
            "lock:70988:2:NONE:SLOW_LINKS/0/569/3311,STORE_RESTORE/1/4464/0",
            HOLDS),
        Arguments.of(
            "a lock holder decides on a marker read inside a wipe's window and publishes just after"
                + " a formed agent re-asserted (the claim's confirmation comes between): excused as"
                + " a window seed",
            "lock:1796300910155360:2:NONE:MEMBER_RESTART/1/2247/2880,STORE_WIPE/0/4604/0,"
                + "SLOW_LINKS/1/5729/2366",
            HOLDS),
        // ---- checker fixes: a cluster lost with every member is left to the operator
        Arguments.of(
            "the formed cluster's only member is killed while the joiners are blank: nobody may"
                + " seed it again, so liveness is not expected (was reported as a liveness failure)",
            "lock:3000546:4:NONE:KILL/0/3554/0",
            HOLDS),
        Arguments.of(
            "both members lose their data: the formed marker stays, nobody seeds, nobody joins",
            "lock:17000500:2:NONE:DATA_LOSS/1/7162/1647,DATA_LOSS/0/7620/1643",
            HOLDS),
        Arguments.of(
            "a restore during an outage while the only member restarts: nobody can re-assert, so"
                + " the documented window lasts until a formed agent runs again (found by the soak)",
            "lock:1796300741149556:2:NONE:STORE_OUTAGE/-1/4116/1443,STORE_RESTORE/1/5339/0,"
                + "MEMBER_RESTART/0/6923/2984",
            HOLDS),
        Arguments.of(
            "a wipe while the only member restarts, its links slow: the window runs until it has"
                + " been back long enough to re-assert (found by the soak)",
            "lock:1796300910155360:2:NONE:MEMBER_RESTART/1/2247/2880,STORE_WIPE/0/4604/0,"
                + "SLOW_LINKS/1/5729/2366",
            HOLDS),
        Arguments.of(
            "a restore while the only member is paused past its lease: nobody can re-assert, so the"
                + " window lasts until it runs again (found by the soak)",
            "lock:1796300910208586:3:NONE:LONG_STORE_PARTITION/1/340/3633,"
                + "PAUSE_PAST_LEASE/2/2291/8432,STORE_RESTORE/0/6041/0",
            HOLDS),
        Arguments.of(
            "a withdrawn seed's node rejoins its old cluster through a paused joiner's node before"
                + " its own completion check withdraws it: still the withdrawn seed's orphan"
                + " (found by the soak)",
            "lock:1796300910357912:7:NONE:LONG_STORE_PARTITION/5/1719/6373,"
                + "PAUSE_PAST_LEASE/5/2276/6551,MEMBER_RESTART/1/2665/1924,STORE_OUTAGE/-1/2732/150",
            HOLDS),
        Arguments.of(
            "a joiner completes while the marker names a cluster seeded inside a wipe's window: not"
                + " judged against it (found by the soak)",
            "lock:1796300910656742:4:NONE:STORE_OUTAGE/-1/244/1133,STORE_PARTITION/2/1652/436,"
                + "STORE_WIPE/0/4170/0",
            HOLDS),
        // ---- declarative mode (issue 23), found by its first simulator run; fixed in the rules
        Arguments.of(
            "declarative: the gospel seeds, loses its data before its joiners complete, and comes"
                + " back fresh: the joiners answer booting but were told to join it, so it must not"
                + " seed a second cluster beside the one their nodes joined",
            "declarative:1082:6:NONE:PEER_PARTITION/3/657/2060,DATA_LOSS/0/4523/2612",
            HOLDS),
        Arguments.of(
            "declarative, gospel reset: a restarted member tells its config version from its"
                + " first answer, so a joiner sent back by a fallback joins it again",
            "declarative:510:2:NONE:MEMBER_RESTART/0/2003/2020,JOIN_FALLBACK/1/5330/0",
            HOLDS),
        // ---- declarative gospel reset of a running cluster, found by its first simulator runs
        Arguments.of(
            "declarative, version bump: a restarted member's agent is paused while its node"
                + " rejoins; on resume the younger version resets the node, and the rejoin's"
                + " completion, sent before, wrote the old membership back (completion across"
                + " versions); a completion while the node is reset is refused now",
            "declarative:1796500000030999:6:NONE:MEMBER_RESTART/3/3710/608,"
                + "SHORT_PAUSE/3/5760/1099,RESET_VERSION/3/5922/2386,RESET_VERSION/1/6490/1757",
            HOLDS),
        // ---- declarative defects found, not fixed yet: they assert today's violation
        Arguments.of(
            "declarative, open: the gospel seed loses its data while a joiner's node is still"
                + " joining it; back blank, it is told to join the other member, its node cannot"
                + " (partitioned) and falls back to standalone; the joiner, whose evidence is the"
                + " gospel's name, joins that standalone node and completes into the first cluster",
            "declarative:1796415912192564:7:NONE:JOIN_FALLBACK/5/1412/0,DATA_LOSS/5/4718/790,"
                + "PEER_PARTITION/5/6000/5000",
            "foreign completion"),
        Arguments.of(
            "declarative, open: as above, the fallback's join fails because a version bump reset"
                + " the only member it was told to join (found by the soak)",
            "declarative:1796415912192564:7:NONE:JOIN_FALLBACK/5/1412/0,DATA_LOSS/5/4718/790,"
                + "RESET_VERSION/3/7726/526,RESET_VERSION/4/8131/487",
            "foreign completion"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("schedules")
  void replaysAsRecorded(String name, String schedule, String expected) {
    Sim sim = new Sim(Explorer.decode(schedule), false, null);
    String violation = sim.run();
    if (expected == HOLDS) {
      assertThat(violation).as("%s (%s)", name, schedule).isNull();
    } else {
      assertThat(violation).as("%s (%s)", name, schedule).startsWith(expected);
    }
  }
}
