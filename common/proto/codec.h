// Bytes <-> Envelope. Decoding never throws: malformed input, a protocol
// version we do not speak, or a frame over the limit is a Status.
#pragma once

#include <string>
#include <string_view>

#include "common/proto/messages.h"
#include "muster/status.h"

namespace muster::wire {

std::string Encode(const Envelope& env);
Result<Envelope> Decode(std::string_view bytes);

// Records kept in the store use the same schema, so one definition of a Job
// serves the wire and the disk.
std::string EncodeJob(const Job& job);
Result<Job> DecodeJob(std::string_view bytes);
std::string EncodeNode(const Node& node);
Result<Node> DecodeNode(std::string_view bytes);
std::string EncodeQueue(const QueueSpec& q);
Result<QueueSpec> DecodeQueue(std::string_view bytes);
std::string EncodeJobEvent(const JobEvent& ev);
Result<JobEvent> DecodeJobEvent(std::string_view bytes);
std::string EncodeModel(const Model& model);
Result<Model> DecodeModel(std::string_view bytes);
std::string EncodeTrigger(const TriggerRecord& t);
Result<TriggerRecord> DecodeTrigger(std::string_view bytes);

}  // namespace muster::wire
