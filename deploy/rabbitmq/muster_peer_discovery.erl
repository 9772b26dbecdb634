%% A RabbitMQ peer discovery backend that takes Muster's decision instead of discovering peers.
%%
%% rabbitmq-server-muster puts this module on the broker's code path and Muster's builtin
%% rabbitmq-peer-discovery template selects it:
%%
%%   cluster_formation.peer_discovery_backend = muster_peer_discovery
%%
%% RabbitMQ calls a backend's lock/1 before a blank node creates or joins its database, list_nodes/0
%% under that lock, and register/0 once the database is up (tables created or copied, feature flags
%% in sync, schema checked), still under the lock. So:
%%
%%   * a joiner boots beside its seed and waits in lock/1 until Muster reports that the seed has
%%     formed (GET /v1/formation/seed), then joins only the seed;
%%   * the seed passes lock/1 at once and, in register/0, tells Muster that its database is up
%%     (POST /v1/formation/complete), which is when Muster writes the seed's formed marker.
%%
%% A joiner therefore never copies tables from a seed still enabling its feature flags (RabbitMQ
%% 3.10's schema_integrity_check_failed / incompatible_feature_flags race), yet it does not wait
%% for the seed's whole boot either: only for its database step. Nothing here decides anything: the
%% decision is Muster's, handed over in MUSTER_ACTION and MUSTER_SEED by `muster exec`. Without
%% them lock/1 fails, and RabbitMQ stops after cluster_formation.lock_retry_limit attempts
%% (lock_acquisition_failure_mode defaults to fail): a node never starts alone by accident.
%%
%% Written for RabbitMQ 3.10 (tested there); it needs only OTP's kernel and RabbitMQ's own
%% peer discovery calls, no plugin. Compile with `erlc` (rabbitmq-server-muster does it when the
%% distribution holds no ebin/muster_peer_discovery.beam).
-module(muster_peer_discovery).

-export([init/0, list_nodes/0, supports_registration/0, register/0, unregister/0,
         post_registration/0, lock/1, unlock/1]).

%% How often a joiner asks whether its seed has formed, and how often it logs that it still waits.
-define(POLL_MS, 200).
-define(LOG_EVERY_MS, 10000).
%% How long the agent's API may stay unreachable before lock/1 gives RabbitMQ an error (it then
%% sleeps cluster_formation.lock_retry_timeout and asks again, up to lock_retry_limit times).
-define(UNREACHABLE_MS, 60000).
-define(HTTP_TIMEOUT_MS, 5000).

init() ->
    case decision() of
        {ok, Action, Seed} ->
            logger:info("Muster peer discovery: this node's decision is ~ts (seed ~ts); API ~ts",
                        [Action, Seed, api_text()]),
            ok;
        {error, Why} ->
            {error, Why}
    end.

%% Under the lock: a seed lists no peer (RabbitMQ then creates its own database); a joiner lists
%% only its seed, which has formed by now. Other joiners are never listed: one still booting could
%% otherwise be picked and joined before it is part of the seed's cluster.
list_nodes() ->
    case decision() of
        {ok, seed, _} -> {ok, {[], disc}};
        {ok, _, Seed} -> {ok, {[Seed], disc}};
        {error, Why} -> {error, Why}
    end.

supports_registration() -> true.

%% Called once the database is up (after list_nodes/0, still under the lock). A seed's cluster now
%% exists and can be joined: tell Muster, which completes formation and writes the formed marker.
register() ->
    case {decision(), database_up()} of
        {{ok, seed, _}, true} -> report_formed();
        {{ok, seed, _}, false} ->
            logger:warning("Muster peer discovery: the database is not up; not reporting the"
                           " seed formed (Muster completes once the node is ready)"),
            ok;
        _ -> ok
    end.

unregister() -> ok.

post_registration() -> ok.

lock(_Node) ->
    case decision() of
        {ok, seed, _} -> {ok, seed};
        {ok, Action, Seed} -> await_seed(Action, Seed);
        {error, Why} ->
            logger:error("Muster peer discovery: ~ts; not starting", [Why]),
            {error, Why}
    end.

unlock(_Data) -> ok.

%% ---------------------------------------------------------------------------------------------

decision() ->
    case {os:getenv("MUSTER_ACTION"), os:getenv("MUSTER_SEED"), os:getenv("MUSTER_API")} of
        {false, _, _} -> {error, "MUSTER_ACTION is not set: start the node with muster exec"};
        {_, false, _} -> {error, "MUSTER_SEED is not set: start the node with muster exec"};
        {_, _, false} -> {error, "MUSTER_API is not set: start the node with muster exec"};
        {"seed", Seed, _} -> node_name(seed, Seed);
        {"join", Seed, _} -> node_name(join, Seed);
        {"rejoin", Seed, _} -> node_name(rejoin, Seed);
        {Other, _, _} -> {error, "MUSTER_ACTION is " ++ Other ++ ", not seed, join or rejoin"}
    end.

%% Muster has validated the name already; it is checked again before it becomes an atom.
node_name(Action, Name) ->
    case re:run(Name, "^[A-Za-z0-9_.-]+@[A-Za-z0-9_.-]+$", [{capture, none}]) of
        match -> {ok, Action, list_to_atom(Name)};
        nomatch -> {error, "MUSTER_SEED is not a node name: " ++ Name}
    end.

database_up() ->
    try
        mnesia:system_info(is_running) =:= yes
            andalso lists:member(rabbit_user, mnesia:system_info(local_tables))
    catch
        _:_ -> false
    end.

await_seed(Action, Seed) ->
    logger:info("Muster peer discovery: ~ts ~ts once Muster reports it formed; asking every ~b ms",
                [Action, Seed, ?POLL_MS]),
    Now = now_ms(),
    await_seed(Action, Seed, Now, Now, Now).

await_seed(Action, Seed, Since, LastLog, LastAnswer) ->
    Now = now_ms(),
    case http(get, "/v1/formation/seed") of
        {ok, 200, _} ->
            logger:info("Muster peer discovery: seed ~ts has formed (after ~b ms); joining it",
                        [Seed, Now - Since]),
            {ok, {Action, Seed}};
        {ok, 503, Body} ->
            LastLog1 = maybe_log(Now, LastLog, Seed, Since, Body),
            timer:sleep(?POLL_MS),
            await_seed(Action, Seed, Since, LastLog1, Now);
        {ok, Status, Body} ->
            Why = lists:flatten(io_lib:format("Muster answered ~b: ~ts", [Status, Body])),
            logger:error("Muster peer discovery: cannot learn whether ~ts formed: ~ts",
                         [Seed, Why]),
            {error, Why};
        {error, Reason} when Now - LastAnswer < ?UNREACHABLE_MS ->
            LastLog1 = maybe_log(Now, LastLog, Seed, Since,
                                 io_lib:format("Muster's API: ~p", [Reason])),
            timer:sleep(?POLL_MS),
            await_seed(Action, Seed, Since, LastLog1, LastAnswer);
        {error, Reason} ->
            Why = lists:flatten(io_lib:format("Muster's API ~ts unreachable for ~b s: ~p",
                                              [api_text(), ?UNREACHABLE_MS div 1000, Reason])),
            logger:error("Muster peer discovery: ~ts", [Why]),
            {error, Why}
    end.

maybe_log(Now, LastLog, Seed, Since, Detail) when Now - LastLog >= ?LOG_EVERY_MS ->
    logger:info("Muster peer discovery: still waiting for seed ~ts to form (~b s so far): ~ts",
                [Seed, (Now - Since) div 1000, Detail]),
    Now;
maybe_log(_, LastLog, _, _, _) ->
    LastLog.

report_formed() ->
    case http(post, "/v1/formation/complete") of
        {ok, 200, _} ->
            logger:info("Muster peer discovery: database up; Muster recorded the seed formed");
        {ok, Status, Body} ->
            logger:warning("Muster peer discovery: Muster answered ~b to formation/complete: ~ts"
                           " (it completes once the node is ready)", [Status, Body]);
        {error, Reason} ->
            logger:warning("Muster peer discovery: could not report the seed formed: ~p"
                           " (Muster completes once the node is ready)", [Reason])
    end,
    ok.

now_ms() -> erlang:monotonic_time(millisecond).

api_text() ->
    case os:getenv("MUSTER_API") of
        false -> "(unset)";
        Url -> Url
    end.

%% One HTTP/1.1 request to the agent's loopback API, Connection: close; no inets needed.
http(Method, Path) ->
    case parse_api(os:getenv("MUSTER_API")) of
        {ok, Host, Port} -> http(Method, Host, Port, Path);
        {error, _} = E -> E
    end.

parse_api(false) -> {error, no_api};
parse_api(Url) ->
    case re:run(Url, "^http://([0-9.]+|localhost|\\[[0-9a-fA-F:]+\\]):([0-9]+)/?$",
                [{capture, all_but_first, list}]) of
        {match, [Host, Port]} -> {ok, string:trim(Host, both, "[]"), list_to_integer(Port)};
        nomatch -> {error, {unsupported_api_url, Url}}
    end.

http(Method, Host, Port, Path) ->
    {ok, Addr} = case inet:parse_address(Host) of
                     {ok, A} -> {ok, A};
                     {error, _} -> {ok, Host}
                 end,
    case gen_tcp:connect(Addr, Port, [binary, {active, false}, {packet, raw}], ?HTTP_TIMEOUT_MS) of
        {ok, Sock} ->
            try
                Request = [method(Method), " ", Path, " HTTP/1.1\r\n",
                           "Host: ", Host, ":", integer_to_list(Port), "\r\n",
                           "User-Agent: muster_peer_discovery\r\n",
                           auth(Method),
                           "Content-Length: 0\r\nConnection: close\r\n\r\n"],
                ok = gen_tcp:send(Sock, Request),
                read_response(Sock, <<>>)
            after
                gen_tcp:close(Sock)
            end;
        {error, Reason} ->
            {error, Reason}
    end.

method(get) -> "GET";
method(post) -> "POST".

%% The API's bearer token (muster.api.token_file) for the endpoints that change formation; the
%% token is read from the file muster exec names, never logged.
auth(get) -> [];
auth(post) ->
    case os:getenv("MUSTER_API_TOKEN_FILE") of
        false -> [];
        "" -> [];
        File ->
            case file:read_file(File) of
                {ok, Token} -> ["Authorization: Bearer ", string:trim(Token), "\r\n"];
                {error, _} -> []
            end
    end.

read_response(Sock, Acc) ->
    case gen_tcp:recv(Sock, 0, ?HTTP_TIMEOUT_MS) of
        {ok, Data} when byte_size(Acc) + byte_size(Data) < 65536 ->
            read_response(Sock, <<Acc/binary, Data/binary>>);
        {ok, _} -> {error, response_too_large};
        {error, closed} -> parse_response(Acc);
        {error, Reason} -> {error, Reason}
    end.

parse_response(Bin) ->
    case binary:split(Bin, <<"\r\n\r\n">>) of
        [Head, Body] ->
            case re:run(Head, "^HTTP/1\\.[01] ([0-9]{3})", [{capture, all_but_first, list}]) of
                {match, [Status]} ->
                    {ok, list_to_integer(Status), Body};
                nomatch -> {error, bad_status_line}
            end;
        _ -> {error, incomplete_response}
    end.
